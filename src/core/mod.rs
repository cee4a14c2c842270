//! Use cases. Knows nothing of gRPC: takes domain values, returns domain values or a
//! `CoreError`.

mod batch;
mod channels;
mod connect;
mod error;
mod event_log;
mod events;
mod integrations;
mod interactions;
mod messaging;
mod monitoring;
pub mod page_token;
mod reconnects;
mod requests;
mod rotation;
pub mod secrets;

use std::time::Duration;

pub use batch::BatchRequest;
pub use channels::{ChannelPage, ChannelQuery};
pub use error::{CauseChain, CoreError, Dependency, DuplicateInstall, Resource};
pub use event_log::{EventBell, EventQuery, run_event_retention};
pub use events::EventAnswer;
pub use integrations::{ListQuery, ListedPage, UpdateRequest};
pub use messaging::{Capability, EditRequest, SendRequest};
pub use monitoring::{HealthReport, run_health_checks};
pub use reconnects::run_reconnect_sweep;
pub use rotation::{REFRESH_AHEAD, Refreshed, TokenRefresher};

use crate::{
    config::Config,
    slack::{SlackClient, SlackOAuth},
    store::Store,
};
use page_token::PageTokens;
use secrets::TokenCipher;

/// OAuth states and reconnect tokens live this long.
pub const OAUTH_STATE_TTL: Duration = Duration::from_secs(10 * 60);
pub const RECONNECT_TOKEN_TTL: Duration = Duration::from_secs(10 * 60);

/// Everything the use cases need, shared by every RPC.
#[derive(Clone)]
pub struct Core {
    store: Store,
    slack: SlackClient,
    oauth: SlackOAuth,
    cipher: TokenCipher,
    pages: PageTokens,
    redirect_uri: String,
}

impl Core {
    pub fn new(config: &Config, store: Store) -> Self {
        let slack = SlackClient::new(
            config.slack.api_base_url.clone(),
            config.slack.request_timeout,
        );
        Self {
            oauth: SlackOAuth::new(&config.slack, slack.clone()),
            slack,
            store,
            cipher: TokenCipher::new(&config.token_encryption_key),
            pages: PageTokens::new(&config.token_encryption_key),
            redirect_uri: config.slack.redirect_uri.to_string(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The delivery engine over the same store, Slack client and key.
    pub fn delivery_engine(
        &self,
        config: crate::delivery::DeliveryConfig,
    ) -> crate::delivery::Engine {
        crate::delivery::Engine::new(
            self.store.clone(),
            self.slack.clone(),
            self.cipher.clone(),
            self.token_refresher(),
            config,
        )
    }

    pub fn token_refresher(&self) -> TokenRefresher {
        TokenRefresher::new(self.store.clone(), self.oauth.clone(), self.cipher.clone())
    }
}

/// Runs `round` at once and then every `every`, until `stop` turns true (or is dropped).
async fn periodically<F, Fut>(
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
    mut round: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            changed = stop.changed() => if changed.is_err() || *stop.borrow() { return },
        }
        round().await;
    }
}
