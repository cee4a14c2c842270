//! The HTTP side of the service (axum): probes and Slack's Events API.

mod slack_events;

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};

use crate::{core::Core, slack::SignatureVerifier};

/// Largest HTTP request body accepted (larger answers 413).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct HttpState {
    core: Core,
    /// `None` when SLACK_SIGNING_SECRET is not set: events are refused.
    signature: Option<SignatureVerifier>,
}

pub fn router(core: Core, signature: Option<SignatureVerifier>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/slack/events", post(slack_events::slack_events))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(HttpState { core, signature })
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers.
async fn readyz(State(state): State<HttpState>) -> (StatusCode, &'static str) {
    if state.core.store().ping().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

/// Prometheus text format. The queue depth is read from the database, so every replica
/// reports the same figure.
async fn metrics(
    State(state): State<HttpState>,
) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    let m = crate::metrics::metrics();
    match state.core.store().queue_depth().await {
        Ok(depth) => m.queue_depth.set(depth),
        Err(err) => tracing::warn!(error = %err, "queue depth unavailable"),
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        m.render(),
    )
}
