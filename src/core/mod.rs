//! Use cases. Knows nothing of gRPC: takes domain values, returns domain values or a
//! `CoreError`.

mod batch;
mod channel_directory;
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
pub mod rekey;
mod requests;
mod retention;
mod rotation;
mod webhooks;

use std::time::Duration;

pub use batch::BatchRequest;
pub use channel_directory::run_channel_directory;
pub use channels::{ChannelPage, ChannelQuery};
pub use error::{CauseChain, CoreError, Dependency, DuplicateInstall, Resource};
pub use event_log::{EventBell, EventQuery};
pub use events::EventAnswer;
pub use integrations::{ListQuery, ListedPage, UpdateRequest};
pub use messaging::{Capability, EditRequest, SendRequest};
pub use monitoring::{HealthReport, run_health_checks};
pub use reconnects::run_reconnect_sweep;
pub use retention::{Removed, Retention, run_retention};
pub use rotation::{REFRESH_AHEAD, TokenRefresher};
pub use webhooks::{NewSubscription, SubscriptionChanges, SubscriptionPage};

use crate::{
    config::Config,
    crypto::TokenCipher,
    slack::{SlackClient, SlackOAuth},
    store::Store,
};
use page_token::PageTokens;

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
    /// Webhook URLs may point at private and loopback addresses.
    allow_private_webhooks: bool,
    /// How long a complete channel listing stands before the next one is due.
    directory_refresh: Duration,
}

impl Core {
    /// `slack` and `cipher` are shared with the delivery engine, which startup builds.
    pub fn new(config: &Config, store: Store, slack: SlackClient, cipher: TokenCipher) -> Self {
        Self {
            oauth: SlackOAuth::new(&config.slack, slack.clone()),
            slack,
            store,
            cipher,
            pages: PageTokens::with_keys(config.token_keys.keys.iter().map(|(_, key)| key)),
            redirect_uri: config.slack.redirect_uri.to_string(),
            allow_private_webhooks: config.webhooks.allow_private,
            directory_refresh: config
                .channel_directory_refresh
                .unwrap_or(crate::config::DEFAULT_CHANNEL_DIRECTORY_REFRESH),
        }
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

/// `periodically`, each round run by one replica at a time: the one that takes the
/// advisory lock `key` (the others skip that round).
async fn periodically_locked<F, Fut>(
    store: &Store,
    key: i64,
    every: Duration,
    stop: tokio::sync::watch::Receiver<bool>,
    round: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let round = &round;
    periodically(every, stop, move || async move {
        let lock = match store.try_sweep_lock(key).await {
            Ok(Some(lock)) => lock,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(error = %err, key, "cannot take a sweep lock");
                return;
            }
        };
        round().await;
        lock.release().await;
    })
    .await;
}
