use chrono::{DateTime, Utc};

use super::{
    FieldViolation,
    ids::{is_slack_id, required},
    newtype::{string_newtype, text_enum},
};

string_newtype! {
    /// A Slack conversation id: `C...` (public) or `G...` (legacy private).
    ChannelId
}

impl ChannelId {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
        required(field, raw)?;
        if (raw.starts_with('C') || raw.starts_with('G')) && is_slack_id(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldViolation::new(
                field,
                "is not a Slack channel id (C... or G...)",
            ))
        }
    }
}

text_enum! {
    /// What Slack last did to the notification channel.
    pub enum ChannelState {
        Ready = "ready",
        Archived = "archived",
        Deleted = "deleted",
        BotRemoved = "bot_removed",
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

/// A public channel as Slack lists it (kept in the workspace's channel directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackChannel {
    pub id: String,
    pub name: String,
    pub purpose: String,
    /// Kept in the directory; ListChannels does not return it.
    pub topic: String,
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
        for &state in ChannelState::ALL {
            assert_eq!(ChannelState::parse(state.as_str()), Some(state));
        }
    }
}
