use chrono::{DateTime, Utc};

use super::{
    ChannelId, DeliveryId, IntegrationId, InternalMessageId, MessageType, TeamId,
    newtype::text_enum,
};

text_enum! {
    pub enum DeliveryKind {
        Post = "post",
        Reply = "reply",
        /// `chat.update` of an earlier post or reply.
        Update = "update",
        /// `chat.delete` of an earlier post or reply.
        Delete = "delete",
    }
}

text_enum! {
    pub enum DeliveryState {
        Queued = "queued",
        Retrying = "retrying",
        Sent = "sent",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

impl DeliveryState {
    /// Whether nothing more will happen to the delivery.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Sent | Self::Failed | Self::Cancelled)
    }
}

/// One message on its way to Slack, as callers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub integration_id: IntegrationId,
    pub team_id: TeamId,
    pub kind: DeliveryKind,
    pub internal_message_id: InternalMessageId,
    pub parent_internal_message_id: Option<InternalMessageId>,
    pub message_type: Option<MessageType>,
    pub state: DeliveryState,
    pub channel_id: ChannelId,
    pub slack_ts: Option<String>,
    pub thread_ts: Option<String>,
    pub attempts: i32,
    pub last_error: Option<super::DeliveryFailure>,
    pub create_time: DateTime<Utc>,
    pub next_attempt_time: DateTime<Utc>,
    pub sent_time: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for &kind in DeliveryKind::ALL {
            assert_eq!(DeliveryKind::parse(kind.as_str()), Some(kind));
        }
        for &state in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(state.as_str()), Some(state));
        }
    }
}
