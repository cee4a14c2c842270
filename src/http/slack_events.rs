//! `POST /slack/events`: Slack's Events API Request URL.

use std::time::Duration;

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::HttpState;
use crate::{
    core::{CoreError, EventAnswer},
    slack::EventEnvelope,
};

/// Slack wants an answer within 3 s; past this, handling goes on after the answer.
const ANSWER_WITHIN: Duration = Duration::from_millis(2500);

/// Runs `work` in a task of its own and waits for it at most [`ANSWER_WITHIN`]. `Ok(None)`:
/// still running (it finishes after the answer, and Slack's retry of it is deduplicated);
/// `Err`: the 500 to answer, logged with what failed.
pub(super) async fn within_answer_time<T: Send + 'static>(
    what: &'static str,
    work: impl Future<Output = Result<T, CoreError>> + Send + 'static,
) -> Result<Option<T>, Response> {
    match tokio::time::timeout(ANSWER_WITHIN, tokio::spawn(work)).await {
        Ok(Ok(Ok(answer))) => Ok(Some(answer)),
        Ok(Ok(Err(err))) => {
            tracing::error!(error = %err, "could not handle {what}");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Ok(Err(join)) => {
            tracing::error!(error = %join, "{what} handler panicked");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Err(_) => Ok(None),
    }
}

/// Checks Slack's v0 signature over the raw body (before anything parses it): the
/// refusal to answer when it does not verify, or when no signing secret is configured.
pub(super) fn signature_refusal(
    state: &HttpState,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response> {
    let Some(verifier) = &state.signature else {
        return Some(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "SLACK_SIGNING_SECRET is not configured",
            )
                .into_response(),
        );
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    verifier
        .verify(
            header("x-slack-request-timestamp"),
            header("x-slack-signature"),
            body,
            chrono::Utc::now().timestamp(),
        )
        .err()
        .map(|err| state.refusals.refuse(StatusCode::UNAUTHORIZED, err))
}

pub async fn slack_events(
    State(state): State<HttpState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = signature_refusal(&state, &headers, &body) {
        return refused;
    }
    let envelope = match serde_json::from_slice::<EventEnvelope>(&body) {
        Ok(envelope) => envelope,
        Err(_) => {
            return state
                .refusals
                .refuse(StatusCode::BAD_REQUEST, "not an Events API payload");
        }
    };
    if let Err(problem) = envelope.check() {
        return state.refusals.refuse(StatusCode::BAD_REQUEST, problem);
    }
    let core = state.core.clone();
    let handling = async move { core.handle_slack_event(envelope).await };
    match within_answer_time("a Slack event (Slack will retry)", handling).await {
        Ok(Some(EventAnswer::Challenge(challenge))) => {
            Json(json!({ "challenge": challenge })).into_response()
        }
        Ok(Some(EventAnswer::Acknowledged)) => StatusCode::OK.into_response(),
        // Still working: acknowledge now (the event id is recorded, so a retry is ignored).
        Ok(None) => StatusCode::OK.into_response(),
        Err(refused) => refused,
    }
}
