//! The Events API payloads switchboard acts on.

use serde::Deserialize;
use serde_json::Value;

/// The outer envelope Slack posts to the Request URL.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventEnvelope {
    UrlVerification {
        challenge: String,
    },
    EventCallback {
        team_id: String,
        #[serde(default)]
        enterprise_id: Option<String>,
        event_id: String,
        event_time: i64,
        event: Value,
    },
    #[serde(other)]
    Other,
}

/// An inner event, reduced to what switchboard needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackEvent {
    AppUninstalled,
    /// Bot tokens of these bot users were revoked.
    TokensRevoked {
        bot_users: Vec<String>,
    },
    ChannelArchive {
        channel: String,
    },
    ChannelUnarchive {
        channel: String,
    },
    ChannelDeleted {
        channel: String,
    },
    ChannelRename {
        channel: String,
        name: String,
    },
    MemberLeftChannel {
        user: String,
        channel: String,
    },
    Ignored {
        event_type: String,
    },
}

fn text(event: &Value, key: &str) -> Option<String> {
    event.get(key)?.as_str().map(str::to_owned)
}

impl SlackEvent {
    pub fn parse(event: &Value) -> Self {
        let kind = text(event, "type").unwrap_or_default();
        let channel = || text(event, "channel");
        let parsed = match kind.as_str() {
            "app_uninstalled" => Some(Self::AppUninstalled),
            "tokens_revoked" => Some(Self::TokensRevoked {
                bot_users: event["tokens"]["bot"]
                    .as_array()
                    .map(|users| users.iter().filter_map(|u| u.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default(),
            }),
            "channel_archive" => channel().map(|channel| Self::ChannelArchive { channel }),
            "channel_unarchive" => channel().map(|channel| Self::ChannelUnarchive { channel }),
            "channel_deleted" => channel().map(|channel| Self::ChannelDeleted { channel }),
            "channel_rename" => Some(Self::ChannelRename {
                channel: event["channel"]["id"].as_str().unwrap_or_default().to_owned(),
                name: event["channel"]["name"].as_str().unwrap_or_default().to_owned(),
            })
            .filter(|e| matches!(e, Self::ChannelRename { channel, name } if !channel.is_empty() && !name.is_empty())),
            "member_left_channel" => match (text(event, "user"), channel()) {
                (Some(user), Some(channel)) => Some(Self::MemberLeftChannel { user, channel }),
                _ => None,
            },
            _ => None,
        };
        parsed.unwrap_or(Self::Ignored { event_type: kind })
    }

    pub fn kind(&self) -> &str {
        match self {
            Self::AppUninstalled => "app_uninstalled",
            Self::TokensRevoked { .. } => "tokens_revoked",
            Self::ChannelArchive { .. } => "channel_archive",
            Self::ChannelUnarchive { .. } => "channel_unarchive",
            Self::ChannelDeleted { .. } => "channel_deleted",
            Self::ChannelRename { .. } => "channel_rename",
            Self::MemberLeftChannel { .. } => "member_left_channel",
            Self::Ignored { event_type } => event_type,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn events_parse() {
        assert_eq!(
            SlackEvent::parse(
                &json!({"type": "tokens_revoked", "tokens": {"oauth": ["U1"], "bot": ["U2"]}})
            ),
            SlackEvent::TokensRevoked {
                bot_users: vec!["U2".into()]
            }
        );
        assert_eq!(
            SlackEvent::parse(
                &json!({"type": "channel_rename", "channel": {"id": "C1", "name": "new"}})
            ),
            SlackEvent::ChannelRename {
                channel: "C1".into(),
                name: "new".into()
            }
        );
        assert_eq!(
            SlackEvent::parse(&json!({"type": "channel_archive", "channel": "C1", "user": "U1"})),
            SlackEvent::ChannelArchive {
                channel: "C1".into()
            }
        );
        assert_eq!(
            SlackEvent::parse(&json!({"type": "reaction_added"})),
            SlackEvent::Ignored {
                event_type: "reaction_added".into()
            }
        );
        assert_eq!(
            SlackEvent::parse(&json!({"type": "channel_archive"})),
            SlackEvent::Ignored {
                event_type: "channel_archive".into()
            }
        );
    }
}
