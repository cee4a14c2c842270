use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::FieldViolation;

/// A Slack conversation id: `C...` (public) or `G...` (legacy private).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelId(String);

impl ChannelId {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
        if raw.is_empty() {
            return Err(FieldViolation::new(field, "is required"));
        }
        let valid = raw.len() <= 32
            && (raw.starts_with('C') || raw.starts_with('G'))
            && raw
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldViolation::new(
                field,
                "is not a Slack channel id (C... or G...)",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn from_trusted(raw: String) -> Self {
        Self(raw)
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What Slack last did to the notification channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelState {
    Ready,
    Archived,
    Deleted,
    BotRemoved,
}

impl ChannelState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Archived => "archived",
            Self::Deleted => "deleted",
            Self::BotRemoved => "bot_removed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "ready" => Some(Self::Ready),
            "archived" => Some(Self::Archived),
            "deleted" => Some(Self::Deleted),
            "bot_removed" => Some(Self::BotRemoved),
            _ => None,
        }
    }
}

/// The one channel an integration posts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationChannel {
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub state: ChannelState,
    pub set_time: DateTime<Utc>,
}

/// A public channel as Slack lists it (kept in the per-integration listing cache).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlackChannel {
    pub id: String,
    pub name: String,
    pub purpose: String,
    pub member_count: i32,
    pub is_member: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_ids_look_like_slack() {
        assert!(ChannelId::parse("c", "C0123ABC").is_ok());
        assert!(ChannelId::parse("c", "G0123ABC").is_ok());
        for bad in ["", "c0123", "D0123", "C01-23", &"C".repeat(40)] {
            assert!(ChannelId::parse("c", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn states_round_trip() {
        for state in [
            ChannelState::Ready,
            ChannelState::Archived,
            ChannelState::Deleted,
            ChannelState::BotRemoved,
        ] {
            assert_eq!(ChannelState::parse(state.as_str()), Some(state));
        }
    }
}
