//! `POST /slack/interactions`: Slack's interactivity Request URL. A form with one field,
//! `payload` (JSON), signed like the Events API. Answered 200 with an empty body once the
//! click is recorded, or at once when it is not ours; Slack shows the user an error when
//! no answer comes within 3 s.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

use super::{
    HttpState,
    slack_events::{signature_refusal, within_answer_time},
};
use crate::slack::Interaction;

pub async fn slack_interactions(
    State(state): State<HttpState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = signature_refusal(&state, &headers, &body) {
        return refused;
    }
    let Some(payload) = url::form_urlencoded::parse(&body)
        .find(|(name, _)| name == "payload")
        .map(|(_, value)| value.into_owned())
    else {
        return state
            .refusals
            .refuse(StatusCode::BAD_REQUEST, "the form has no payload field");
    };
    let interaction = match Interaction::parse(&payload) {
        Ok(interaction) => interaction,
        Err(problem) => return state.refusals.refuse(StatusCode::BAD_REQUEST, problem),
    };
    // Verified above: the signature is Slack's, a bounded hex string.
    let signature = headers
        .get("x-slack-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim()
        .to_owned();
    let core = state.core.clone();
    let handling = async move { core.handle_slack_interaction(interaction, &signature).await };
    match within_answer_time("a Slack interaction", handling).await {
        // Recorded, or still recording: the click is recorded once, whenever it commits.
        Ok(Some(()) | None) => StatusCode::OK.into_response(),
        Err(refused) => refused,
    }
}
