//! `slack-sim`: a Slack Web API simulator that behaves as `slack-facts.md` describes, for
//! tests, benchmarks and the local demo. Real HTTP, real JSON, Slack's error codes and rate
//! limits, plus a control API under `/_sim` to arrange workspaces, inject faults and click buttons.

mod chat;
mod control;
mod conversations;
mod faults;
mod interactivity;
mod oauth;
mod params;
mod rate_limit;
mod state;
mod tick_bucket;
mod web_api;

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Router,
    routing::{delete, get, post},
};
use tokio::net::TcpListener;

pub use faults::Fault;
pub use state::{RateLimitedPost, SimState, Workspace};

/// The app credentials the simulator accepts at `oauth.v2.access`.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub client_id: String,
    pub client_secret: String,
    /// Enforce Slack's per-method rate limits (on by default, as in Slack).
    pub rate_limits: bool,
    /// `chat.postMessage` pace per channel (Slack: about 1 s, with a short burst).
    pub post_interval: std::time::Duration,
    pub post_burst: u32,
    /// `None` (the default): the per-channel pace is a GCRA keyed on each request's
    /// arrival. `Some(offset)`: each channel's bucket of `post_burst` tokens gains one token
    /// per `post_interval` at ticks of the simulator's own clock, shifted by `offset`, so a
    /// client cannot line its pace up with Slack's (see `tick_bucket.rs`).
    pub post_clock_offset: Option<std::time::Duration>,
    /// Random latency of the Web API: each request waits a uniform 0..jitter/2 before it is
    /// handled (transit) and its answer a uniform 0..jitter after the rate decision. Zero
    /// (the default) answers at once.
    pub latency_jitter: std::time::Duration,
    /// `chat.postMessage` cap per workspace, per second (a burst of as many is tolerated).
    pub workspace_posts_per_second: u32,
    /// The app's signing secret, to sign what the simulator posts to the service.
    pub signing_secret: Option<String>,
    /// The interactivity Request URL clicks are posted to (`/slack/interactions`).
    pub interactivity_url: Option<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            client_id: "sim-client-id".into(),
            client_secret: "sim-client-secret".into(),
            rate_limits: true,
            post_interval: chat::CHANNEL_INTERVAL,
            post_burst: chat::CHANNEL_BURST,
            post_clock_offset: None,
            latency_jitter: std::time::Duration::ZERO,
            workspace_posts_per_second: chat::WORKSPACE_PER_SECOND,
            signing_secret: None,
            interactivity_url: None,
        }
    }
}

pub fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .route(
            "/api/{method}",
            post(web_api::dispatch).get(web_api::dispatch),
        )
        .route("/oauth/v2/authorize", get(oauth::authorize))
        .route("/_sim/config", post(control::set_config))
        .route("/_sim/workspaces", post(control::create_workspace))
        .route("/_sim/workspaces/{id}", get(control::get_workspace))
        .route("/_sim/workspaces/{id}/codes", post(control::mint_code))
        .route(
            "/_sim/workspaces/{id}/revoke",
            post(control::revoke_workspace),
        )
        .route("/_sim/workspaces/{id}/tokens", get(control::list_tokens))
        .route(
            "/_sim/workspaces/{id}/expire_tokens",
            post(control::expire_tokens),
        )
        .route(
            "/_sim/workspaces/{id}/channels",
            post(control::create_channels),
        )
        .route(
            "/_sim/workspaces/{id}/channels/{channel}",
            delete(control::delete_channel),
        )
        .route(
            "/_sim/workspaces/{id}/channels/{channel}/{action}",
            post(control::change_channel),
        )
        .route("/_sim/messages", get(control::list_messages))
        .route("/_sim/interactions/click", post(interactivity::click))
        .route(
            "/_sim/faults",
            post(control::add_fault).delete(control::clear_faults),
        )
        .route("/_sim/faults/release", post(control::release_held))
        .route("/_sim/calls", get(control::list_calls))
        .route("/_sim/calls", delete(control::clear_calls))
        .with_state(state)
}

/// A running simulator (tests start one per test on port 0).
pub struct RunningSim {
    pub addr: SocketAddr,
    pub state: Arc<SimState>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningSim {
    pub async fn start(addr: SocketAddr, config: SimConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(SimState::new(config));
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::error!(error = %err, "slack-sim stopped");
            }
        });
        Ok(Self { addr, state, task })
    }

    /// Base URL of the Web API (`SLACK_API_BASE_URL`).
    pub fn api_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// `SLACK_AUTHORIZE_URL`.
    pub fn authorize_url(&self) -> String {
        format!("http://{}/oauth/v2/authorize", self.addr)
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.task.abort();
    }
}
