//! Events of the log: their types, payloads (stored as jsonb, mirrored by
//! `event_service.proto`) and the opaque cursor of a position in the log.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

use super::{FieldViolation, Integration, IntegrationStatus};

/// Defines each event type once: its payload variant, the struct it carries and its name.
macro_rules! event_types {
    ($($variant:ident($payload:ident) = $name:literal,)*) => {
        /// What an event says; stored as the jsonb `payload`, its name in `type`.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "type")]
        pub enum EventPayload {
            $(#[serde(rename = $name)] $variant($payload),)*
        }

        /// Every type name, in the order of the proto's oneof.
        pub const EVENT_TYPES: &[&str] = &[$($name,)*];

        impl EventPayload {
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $name,)*
                }
            }
        }
    };
}

event_types! {
    IntegrationCreated(IntegrationCreated) = "integration.created",
    IntegrationReconnected(IntegrationReconnected) = "integration.reconnected",
    IntegrationStatusChanged(IntegrationStatusChanged) = "integration.status_changed",
    IntegrationDeleted(IntegrationDeleted) = "integration.deleted",
    IntegrationDuplicateAttempt(IntegrationDuplicateAttempt) = "integration.duplicate_attempt",
    ChannelSet(ChannelSet) = "channel.set",
    ChannelStateChanged(ChannelStateChanged) = "channel.state_changed",
    ChannelCleared(ChannelCleared) = "channel.cleared",
    DeliverySent(DeliverySent) = "delivery.sent",
    DeliveryFailed(DeliveryFailed) = "delivery.failed",
    SlackInteraction(SlackInteraction) = "slack.interaction",
    WebhookSubscriptionDisabled(WebhookSubscriptionDisabled) = "webhook_subscription.disabled",
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationCreated {
    pub workspace_id: String,
    pub workspace_name: String,
    pub platform_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationReconnected {
    pub workspace_id: String,
    pub reconnect_count: i32,
}

/// `from` and `to` are status names (`active`, `inactive`, `error`, `revoked`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationStatusChanged {
    pub from: String,
    pub to: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationDeleted {
    pub workspace_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationDuplicateAttempt {
    pub workspace_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSet {
    pub channel_id: String,
    pub channel_name: String,
}

/// `from` and `to` are `ChannelState` names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelStateChanged {
    pub channel_id: String,
    pub channel_name: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelCleared {
    pub channel_id: String,
}

/// `kind` is a `DeliveryKind` name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverySent {
    pub delivery_id: String,
    pub internal_message_id: String,
    pub channel_id: String,
    pub slack_ts: String,
    #[serde(default)]
    pub thread_ts: String,
    #[serde(default)]
    pub permalink: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryFailed {
    pub delivery_id: String,
    pub internal_message_id: String,
    pub channel_id: String,
    pub reason: String,
    pub attempts: i32,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SlackInteraction {
    pub action_id: String,
    pub block_id: String,
    pub value: String,
    pub user_id: String,
    pub channel_id: String,
    pub message_ts: String,
    pub delivery_id: String,
    pub internal_message_id: String,
    pub workspace_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSubscriptionDisabled {
    pub subscription_id: String,
    pub url: String,
    pub last_error: String,
}

/// Payloads built from an integration, for the store's hooks.
impl EventPayload {
    pub fn integration_created(integration: &Integration) -> Self {
        Self::IntegrationCreated(IntegrationCreated {
            workspace_id: integration.workspace_id.to_string(),
            workspace_name: integration.installation.workspace_name.clone(),
            platform_name: integration.platform.name.to_owned(),
        })
    }

    pub fn integration_reconnected(integration: &Integration) -> Self {
        Self::IntegrationReconnected(IntegrationReconnected {
            workspace_id: integration.workspace_id.to_string(),
            reconnect_count: integration.reconnect_count,
        })
    }

    pub fn integration_deleted(integration: &Integration) -> Self {
        Self::IntegrationDeleted(IntegrationDeleted {
            workspace_id: integration.workspace_id.to_string(),
        })
    }

    pub fn channel_set(channel_id: &str, channel_name: &str) -> Self {
        Self::ChannelSet(ChannelSet {
            channel_id: channel_id.to_owned(),
            channel_name: channel_name.to_owned(),
        })
    }

    pub fn channel_cleared(channel_id: String) -> Self {
        Self::ChannelCleared(ChannelCleared { channel_id })
    }

    pub fn duplicate_attempt(workspace_id: &str) -> Self {
        Self::IntegrationDuplicateAttempt(IntegrationDuplicateAttempt {
            workspace_id: workspace_id.to_owned(),
        })
    }
}

/// The name an integration status has in event payloads.
pub fn status_name(status: IntegrationStatus) -> &'static str {
    match status {
        IntegrationStatus::Active => "active",
        IntegrationStatus::Inactive => "inactive",
        IntegrationStatus::Error => "error",
        IntegrationStatus::Revoked => "revoked",
    }
}

pub fn parse_status_name(raw: &str) -> Option<IntegrationStatus> {
    [
        IntegrationStatus::Active,
        IntegrationStatus::Inactive,
        IntegrationStatus::Error,
        IntegrationStatus::Revoked,
    ]
    .into_iter()
    .find(|status| status_name(*status) == raw)
}

/// A `types` filter: each name must be a known type (reported as `field[i]`); duplicates
/// are dropped and the result sorted, so equal filters render equally.
pub fn parse_event_types(field: &str, raw: &[String]) -> Result<Vec<String>, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let mut types = Vec::with_capacity(raw.len());
    for (i, name) in raw.iter().enumerate() {
        match EVENT_TYPES.iter().find(|known| **known == name.as_str()) {
            Some(known) => types.push((*known).to_owned()),
            None => violations.push(FieldViolation::new(
                format!("{field}[{i}]"),
                format!(
                    "unknown event type {:?}; known types: {}",
                    name.chars().take(100).collect::<String>(),
                    EVENT_TYPES.join(", ")
                ),
            )),
        }
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    types.sort_unstable();
    types.dedup();
    Ok(types)
}

/// A position in the log: the (transaction id, sequence) of an event. Opaque to callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventCursor {
    pub tx_id: i64,
    pub seq: i64,
}

const CURSOR_VERSION: &str = "v1";

impl EventCursor {
    /// Before every event.
    pub const START: Self = Self { tx_id: 0, seq: 0 };

    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_VERSION}:{}:{}", self.tx_id, self.seq))
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
        let invalid = || FieldViolation::new(field, "is not a cursor of an event");
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.split(':');
        let (Some(CURSOR_VERSION), Some(tx_id), Some(seq), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let tx_id: i64 = tx_id.parse().map_err(|_| invalid())?;
        let seq: i64 = seq.parse().map_err(|_| invalid())?;
        if tx_id < 0 || seq < 0 {
            return Err(invalid());
        }
        Ok(Self { tx_id, seq })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_through_json_with_their_type_name() {
        let payload = EventPayload::ChannelCleared(ChannelCleared {
            channel_id: "C1".into(),
        });
        let json = serde_json::to_value(&payload).unwrap();
        assert_eq!(json["type"], "channel.cleared");
        assert_eq!(payload.type_name(), "channel.cleared");
        assert_eq!(
            serde_json::from_value::<EventPayload>(json).unwrap(),
            payload
        );
    }

    #[test]
    fn type_filters_name_the_unknown_type() {
        let ok = parse_event_types("types", &["delivery.sent".into(), "channel.set".into()]);
        assert_eq!(ok.unwrap(), ["channel.set", "delivery.sent"]);
        let err = parse_event_types("types", &["delivery.sent".into(), "nope".into()]).unwrap_err();
        assert_eq!(err[0].field, "types[1]");
        assert!(err[0].description.contains("\"nope\""));
    }

    #[test]
    fn statuses_have_names_both_ways() {
        for name in ["active", "inactive", "error", "revoked"] {
            assert_eq!(status_name(parse_status_name(name).unwrap()), name);
        }
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = EventCursor { tx_id: 812, seq: 7 };
        assert_eq!(
            EventCursor::parse("after", &cursor.encode()).unwrap(),
            cursor
        );
        for bad in [
            "",
            "x",
            "djE6MQ",
            &URL_SAFE_NO_PAD.encode("v1:1:2:3"),
            &URL_SAFE_NO_PAD.encode("v1:-1:2"),
        ] {
            assert_eq!(EventCursor::parse("after", bad).unwrap_err().field, "after");
        }
    }
}
