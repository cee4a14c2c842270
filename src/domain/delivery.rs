use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::IntegrationId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    Post,
    Reply,
    /// `chat.update` of an earlier post or reply.
    Update,
    /// `chat.delete` of an earlier post or reply.
    Delete,
}

impl DeliveryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Post => "post",
            Self::Reply => "reply",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "post" => Some(Self::Post),
            "reply" => Some(Self::Reply),
            "update" => Some(Self::Update),
            "delete" => Some(Self::Delete),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Queued,
    Retrying,
    Sent,
    Failed,
    Cancelled,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Retrying => "retrying",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "queued" => Some(Self::Queued),
            "retrying" => Some(Self::Retrying),
            "sent" => Some(Self::Sent),
            "failed" => Some(Self::Failed),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }

    /// Whether nothing more will happen to the delivery.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Sent | Self::Failed | Self::Cancelled)
    }
}

/// One message on its way to Slack, as callers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: Uuid,
    pub integration_id: IntegrationId,
    pub team_id: String,
    pub kind: DeliveryKind,
    pub internal_message_id: String,
    pub parent_internal_message_id: Option<String>,
    pub message_type: Option<String>,
    pub state: DeliveryState,
    pub channel_id: String,
    pub slack_ts: Option<String>,
    pub thread_ts: Option<String>,
    pub attempts: i32,
    pub last_error: Option<super::DeliveryFailure>,
    pub create_time: DateTime<Utc>,
    pub next_attempt_time: DateTime<Utc>,
    pub sent_time: Option<DateTime<Utc>>,
}
