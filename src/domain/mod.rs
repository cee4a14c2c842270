//! Domain types: values that are valid by construction, and the rules of the product.

mod blocks;
mod caller;
mod channel;
mod delivery;
mod delivery_failure;
pub mod event;
mod ids;
mod integration;
mod interaction;
mod message;
mod newtype;
mod platform;
mod request_id;
mod template;
#[cfg(test)]
pub(crate) mod testing;
mod token;
pub mod webhook;

pub use blocks::{MAX_BLOCKS, MAX_BLOCKS_JSON_CHARS};
pub use caller::{Caller, Denial};
pub use channel::{ChannelId, ChannelState, NotificationChannel, SlackChannel};
pub use delivery::{Delivery, DeliveryKind, DeliveryState};
pub use delivery_failure::DeliveryFailure;
pub use event::{EVENT_TYPES, EventCursor, EventPayload};
pub use ids::{DeliveryId, IntegrationId, InternalMessageId, MessageType, TeamId, WorkspaceId};
pub use integration::{Condition, Installation, Integration, IntegrationName, IntegrationStatus};
pub use interaction::{BlockAction, BlockActions};
pub use message::{MAX_TEXT_CHARS, MessageInput, OutboundMessage};
pub use platform::{IntegrationCategory, PLATFORMS, Platform, SLACK};
pub use request_id::RequestId;
pub use token::Refreshed;
pub use webhook::{WebhookState, WebhookSubscription, WebhookUrl};

/// Why a value was refused. `field` names the request field so the transport layer can build
/// a BadRequest field violation without knowing the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {description}")]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }

    /// The same violation, reported under a nested field path (`integration.name`).
    pub fn nested_in(mut self, parent: &str) -> Self {
        self.field = format!("{parent}.{}", self.field);
        self
    }
}
