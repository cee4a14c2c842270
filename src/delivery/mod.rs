//! The delivery engine: workers that drain the outbox into Slack, one message in flight
//! per channel across every replica, paced, retried with backoff, reconciled when an
//! attempt's outcome is unknown.

mod attempt;
mod backoff;
mod lease;
mod worker;

use std::time::Duration;

pub use backoff::backoff;
pub use worker::run;

use crate::{
    core::TokenRefresher,
    crypto::TokenCipher,
    slack::SlackClient,
    store::{LeaseTerms, Pace, Store},
};

#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Run workers in this process.
    pub enabled: bool,
    pub pace: Pace,
    /// Most deliveries in flight in this process.
    pub max_in_flight: usize,
    /// How long a worker owns a lane without renewing it; a crashed worker's lanes are
    /// free again after this. Renewed while an attempt runs.
    pub lease: Duration,
    /// How long after a call to Slack has ended on our side Slack may still act on it.
    /// A post of unknown outcome is looked up in the history only after this.
    pub settle_grace: Duration,
    /// Attempts (429s excluded) before a delivery FAILS.
    pub max_attempts: i32,
    /// First retry delay; doubles each attempt (with jitter), capped at `retry_cap`.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// Polling fallback when no notification arrives.
    pub poll_interval: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            pace: Pace {
                channel_interval: Duration::from_secs(1),
                channel_burst: 3,
                workspace: None,
            },
            max_in_flight: 256,
            lease: Duration::from_secs(60),
            settle_grace: Duration::from_secs(10),
            max_attempts: 8,
            // 15 s doubling to a 15 min cap: 8 attempts span about 30 minutes.
            retry_base: Duration::from_secs(15),
            retry_cap: Duration::from_secs(15 * 60),
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// What the workers share.
#[derive(Clone)]
pub struct Engine {
    pub(crate) store: Store,
    pub(crate) slack: SlackClient,
    pub(crate) cipher: TokenCipher,
    pub(crate) refresher: TokenRefresher,
    pub(crate) config: DeliveryConfig,
}

impl Engine {
    pub fn new(
        store: Store,
        slack: SlackClient,
        cipher: TokenCipher,
        refresher: TokenRefresher,
        config: DeliveryConfig,
    ) -> Self {
        Self {
            store,
            slack,
            cipher,
            refresher,
            config,
        }
    }

    pub(crate) fn lease_terms(&self) -> LeaseTerms {
        LeaseTerms {
            lease: self.config.lease,
            settle_grace: self.config.settle_grace,
        }
    }
}
