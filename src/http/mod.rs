//! The HTTP side of the service (axum): probes, Slack's Events API and interactivity.

mod refusals;
mod server;
mod slack_events;
mod slack_interactions;

use std::sync::Arc;

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};

pub use refusals::RefusalLog;
pub use server::serve;

use crate::{config::HttpLimits, core::Core, slack::SignatureVerifier, store::Store};

/// Largest HTTP request body accepted (larger answers 413).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct HttpState {
    /// Answers Slack's events.
    core: Core,
    /// For the probes: readiness and the queue depth.
    store: Store,
    /// `None` when SLACK_SIGNING_SECRET is not set: events are refused.
    signature: Option<SignatureVerifier>,
    refusals: Arc<refusals::RefusalLog>,
}

/// The routers of the HTTP listeners: Slack's endpoints, and the operator's (probes and
/// metrics), each with the log its refusals go to. With no admin listener, both are served
/// on the one HTTP port.
pub struct Routers {
    pub public: Router,
    pub admin: Router,
    pub refusals: Arc<refusals::RefusalLog>,
}

pub fn routers(
    core: Core,
    store: Store,
    signature: Option<SignatureVerifier>,
    limits: HttpLimits,
) -> Routers {
    let refusals = Arc::new(refusals::RefusalLog::default());
    let state = HttpState {
        core,
        store,
        signature,
        refusals: refusals.clone(),
    };
    let public = Router::new()
        .route("/slack/events", post(slack_events::slack_events))
        .route(
            "/slack/interactions",
            post(slack_interactions::slack_interactions),
        )
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state.clone());
    let admin = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state);
    Routers {
        public: server::guarded(public, limits, refusals.clone()),
        admin: server::guarded(admin, limits, refusals.clone()),
        refusals,
    }
}

// Bodies end with a newline, so `curl` leaves the shell prompt on a line of its own.
async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready when the database answers.
async fn readyz(State(state): State<HttpState>) -> (StatusCode, &'static str) {
    if state.store.ping().await {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n")
    }
}

/// The deployment's figures (`crate::metrics::render_deployment`), or none when the
/// database cannot say.
async fn deployment_figures(store: &Store) -> String {
    match store.gauges().await {
        Ok(gauges) => {
            let integrations: Vec<(&str, i64)> = gauges
                .integrations
                .iter()
                .map(|(status, count)| (crate::domain::event::status_name(*status), *count))
                .collect();
            crate::metrics::render_deployment(&crate::metrics::DeploymentFigures {
                oldest_due_seconds: gauges.oldest_due_seconds,
                integrations: &integrations,
                webhook_subscriptions: &gauges.webhook_subscriptions,
            })
        }
        Err(err) => {
            tracing::warn!(error = %err, "deployment figures unavailable");
            String::new()
        }
    }
}

/// Prometheus text format. The queue depth is read from the database, so every replica
/// reports the same figure.
async fn metrics(
    State(state): State<HttpState>,
) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    let m = crate::metrics::metrics();
    match state.store.queue_depth().await {
        Ok(depth) => m.queue_depth.set(depth),
        Err(err) => tracing::warn!(error = %err, "queue depth unavailable"),
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        m.render() + &deployment_figures(&state.store).await,
    )
}
