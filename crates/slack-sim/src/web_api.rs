//! `/api/{method}`: Slack's Web API methods.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, Uri, header::AUTHORIZATION},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{
    chat, conversations,
    faults::FaultKind,
    oauth,
    params::Params,
    state::{CallRecord, Inner, SimState, TokenInfo, Workspace, unix_now},
};

pub fn ok(mut body: Value) -> Response {
    body["ok"] = Value::Bool(true);
    Json(body).into_response()
}

pub fn slack_error(code: &str) -> Response {
    Json(json!({"ok": false, "error": code})).into_response()
}

pub fn rate_limited(retry_after: Option<u64>) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({"ok": false, "error": if retry_after.is_some() { "ratelimited" } else { "message_limit_exceeded" }})),
    )
        .into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", secs.to_string().parse().expect("digits"));
    }
    response
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_owned)
}

/// The token's workspace, or Slack's error code for a bad token.
fn authenticate(
    inner: &Inner,
    token: Option<&str>,
) -> Result<(TokenInfo, Workspace), &'static str> {
    let token = token.ok_or("not_authed")?;
    let info = inner.tokens.get(token).ok_or("invalid_auth")?;
    if info.revoked {
        return Err("token_revoked");
    }
    if info.expires_at.is_some_and(|at| at <= unix_now()) {
        return Err("token_expired");
    }
    let workspace = inner
        .workspaces
        .get(&info.workspace_id)
        .ok_or("account_inactive")?;
    Ok((info.clone(), workspace.clone()))
}

pub async fn dispatch(
    State(state): State<Arc<SimState>>,
    Path(method): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Random latency (`SimConfig::latency_jitter`): half of it as the request's transit,
    // before anything is decided, the whole of it on the way back.
    let jitter = state.with(|inner| inner.config.latency_jitter);
    random_delay(jitter / 2).await;
    let response = handle(state, method, uri, headers, body).await;
    random_delay(jitter).await;
    response
}

/// Sleeps a uniform random 0..`max` (not at all for zero).
async fn random_delay(max: Duration) {
    if !max.is_zero() {
        tokio::time::sleep(max.mul_f64(rand::random::<f64>())).await;
    }
}

async fn handle(
    state: Arc<SimState>,
    method: String,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(&headers, uri.query(), &body);
    let token = bearer(&headers);
    // Subscribed before the call is listed: a release sent once a test sees the call
    // reaches it.
    let mut release = state.released.subscribe();
    let fault = state.with(|inner| {
        let workspace_id = token
            .as_deref()
            .and_then(|t| inner.tokens.get(t))
            .map(|t| t.workspace_id.clone());
        let fault = inner.take_fault(&method, workspace_id.as_deref());
        inner.calls.push(CallRecord {
            method: method.clone(),
            workspace_id,
            token: token.clone(),
            at: unix_now(),
        });
        fault
    });
    let mut after_work = None;
    if let Some(fault) = fault {
        match fault.kind {
            kind @ (FaultKind::RecordThenDelay { .. }
            | FaultKind::RecordThenDrop
            | FaultKind::OmitFields { .. }) => {
                after_work = Some(kind);
            }
            FaultKind::Delay { .. } => {
                tokio::time::sleep(fault.delay().unwrap_or_default()).await;
            }
            FaultKind::Hold => {
                let _ = release.changed().await;
            }
            FaultKind::Error { error } => return slack_error(&error),
            FaultKind::HttpStatus { status } => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return (status, "simulated upstream failure").into_response();
            }
            FaultKind::RateLimited { retry_after } => return rate_limited(retry_after),
        }
    }

    let response = state.with(|inner| {
        if method == "oauth.v2.access" {
            return oauth::access(inner, &headers, &params);
        }
        let (token, workspace) = match authenticate(inner, token.as_deref()) {
            Ok(found) => found,
            Err(code) => return slack_error(code),
        };
        if inner.config.rate_limits
            && let Err(wait) = inner.limiter.check(&workspace.id, &method, Instant::now())
        {
            inner.rate_limited_calls += 1;
            return rate_limited(Some(wait.as_secs().max(1)));
        }
        match method.as_str() {
            "auth.test" => auth_test(&workspace),
            "auth.revoke" => {
                if let Some(t) = inner.tokens.get_mut(&token.token) {
                    t.revoked = true;
                }
                ok(json!({"revoked": true}))
            }
            "conversations.list" => conversations::list(inner, &workspace, &params),
            "conversations.info" => conversations::info(inner, &workspace, &params),
            "conversations.join" => conversations::join(inner, &workspace, &params),
            "conversations.history" => chat::history(inner, &workspace, &params),
            "chat.postMessage" => chat::post_message(inner, &workspace, &params),
            "chat.update" => chat::update(inner, &params),
            "chat.delete" => chat::delete(inner, &params),
            "conversations.replies" => chat::replies(inner, &params),
            _ => slack_error("unknown_method"),
        }
    });
    match after_work {
        Some(FaultKind::RecordThenDelay { delay_ms }) => {
            tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
            response
        }
        Some(FaultKind::RecordThenDrop) => dropped_connection(),
        Some(FaultKind::OmitFields { fields }) => without_fields(response, &fields).await,
        _ => response,
    }
}

/// The answer with some top-level JSON fields left out.
async fn without_fields(response: Response, fields: &[String]) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(mut json) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    if let Some(object) = json.as_object_mut() {
        for field in fields {
            object.remove(field);
        }
    }
    (parts.status, Json(json)).into_response()
}

/// A 200 whose body breaks off: the client sees the connection drop mid-answer.
fn dropped_connection() -> Response {
    let broken = tokio_stream::iter([Err::<Bytes, std::io::Error>(std::io::Error::other(
        "simulated connection drop",
    ))]);
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .body(axum::body::Body::from_stream(broken))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn auth_test(workspace: &Workspace) -> Response {
    let mut body = json!({
        "url": format!("https://{}.slack.com/", workspace.name.to_lowercase().replace(' ', "-")),
        "team": workspace.name,
        "user": "switchboard",
        "team_id": workspace.id,
        "user_id": workspace.bot_user_id,
        "bot_id": workspace.bot_id,
        "is_enterprise_install": workspace.enterprise_install,
    });
    if let Some(enterprise) = &workspace.enterprise_id {
        body["enterprise_id"] = json!(enterprise);
    }
    ok(body)
}
