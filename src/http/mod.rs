//! The HTTP side of the service (axum): liveness and readiness probes.

use axum::{Router, extract::State, http::StatusCode, routing::get};

use crate::store::Store;

/// Largest HTTP request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(store)
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers.
async fn readyz(State(store): State<Store>) -> (StatusCode, &'static str) {
    if store.ping().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}
