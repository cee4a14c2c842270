//! The webhook engine: dispatchers that push the event log to every active subscription,
//! signed per Standard Webhooks, one event at a time in log order per subscription,
//! retried on the schedule and disabled once it is spent.

mod dispatcher;
mod sender;

use std::sync::Arc;

pub use dispatcher::run;
pub use sender::{SendError, Sender};

use crate::{config::WebhookConfig, crypto::TokenCipher, store::Store, store::StoredEvent};

/// Renders a stored event as the webhook body (the Event as proto JSON).
pub type BodyFn = Arc<dyn Fn(&StoredEvent) -> Vec<u8> + Send + Sync>;

/// What the dispatchers share.
#[derive(Clone)]
pub struct Engine {
    pub(crate) store: Store,
    pub(crate) cipher: TokenCipher,
    pub(crate) sender: Sender,
    pub(crate) body: BodyFn,
    pub(crate) config: WebhookConfig,
}

impl Engine {
    pub fn new(store: Store, cipher: TokenCipher, body: BodyFn, config: WebhookConfig) -> Self {
        Self {
            sender: Sender::new(config.request_timeout, config.allow_private),
            store,
            cipher,
            body,
            config,
        }
    }
}
