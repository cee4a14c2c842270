//! The delivery engine: workers that drain the outbox into Slack, one message in flight
//! per channel across every replica, paced, retried with backoff, reconciled when an
//! attempt's outcome is unknown.

mod attempt;
mod backoff;
mod lease;
mod worker;

use std::{future::Future, pin::Pin, sync::Arc};

pub use backoff::backoff;
pub use worker::run;

use crate::{
    config::DeliveryConfig,
    crypto::TokenCipher,
    domain::{IntegrationId, Refreshed},
    slack::SlackClient,
    store::{LeaseTerms, Store},
};

/// Refreshes an integration's rotating tokens when an attempt meets `token_expired`. The
/// use case lives in `core`; startup hands it to the engine through this trait so the
/// engine depends on nothing above the store.
pub trait TokenRefresh: Send + Sync {
    /// `stale_access_enc` is the sealed token the attempt just saw expire.
    fn refresh<'a>(
        &'a self,
        id: IntegrationId,
        stale_access_enc: Option<&'a [u8]>,
    ) -> Pin<Box<dyn Future<Output = Result<Refreshed, RefreshError>> + Send + 'a>>;
}

/// Why a refresh could not even be tried (the workers retry the delivery later).
pub type RefreshError = Box<dyn std::error::Error + Send + Sync>;

/// What the workers share.
#[derive(Clone)]
pub struct Engine {
    pub(crate) store: Store,
    pub(crate) slack: SlackClient,
    pub(crate) cipher: TokenCipher,
    pub(crate) refresher: Arc<dyn TokenRefresh>,
    pub(crate) config: DeliveryConfig,
}

impl Engine {
    pub fn new(
        store: Store,
        slack: SlackClient,
        cipher: TokenCipher,
        refresher: Arc<dyn TokenRefresh>,
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
