//! The Events API payloads switchboard acts on.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

/// Longest id accepted from an event; Slack's are about a dozen characters.
const MAX_ID_CHARS: usize = 255;
/// Longest event type kept as it is; a longer or odd one is recorded as `unknown`.
const MAX_TYPE_CHARS: usize = 64;
/// Slack's times, like protobuf Timestamps, lie between years 1 and 9999.
const EVENT_SECONDS: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;

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

impl EventEnvelope {
    /// Refuses what Slack never sends and Postgres cannot store, even when signed: odd ids,
    /// a time out of range, the NUL character anywhere.
    pub fn check(&self) -> Result<(), &'static str> {
        let Self::EventCallback {
            team_id,
            enterprise_id,
            event_id,
            event_time,
            event,
        } = self
        else {
            return Ok(());
        };
        let id_like =
            |id: &str| id.chars().count() <= MAX_ID_CHARS && !id.chars().any(|c| c.is_control());
        if event_id.is_empty() || !id_like(event_id) {
            return Err("event_id must be 1-255 printable characters");
        }
        if !id_like(team_id) || !enterprise_id.as_deref().is_none_or(id_like) {
            return Err("team_id and enterprise_id must be at most 255 printable characters");
        }
        if event_time_utc(*event_time).is_none() {
            return Err("event_time is out of range");
        }
        if contains_nul(event) {
            return Err("the event contains the NUL character");
        }
        Ok(())
    }
}

/// An event's `event_time` (Unix seconds), when it is a time at all.
pub fn event_time_utc(seconds: i64) -> Option<DateTime<Utc>> {
    EVENT_SECONDS
        .contains(&seconds)
        .then(|| DateTime::from_timestamp(seconds, 0))
        .flatten()
}

pub(super) fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
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
    /// A public channel was created.
    ChannelCreated {
        channel: String,
        name: String,
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

/// `channel: {id, name}`, as `channel_rename` and `channel_created` carry it.
fn named_channel(event: &Value) -> Option<(String, String)> {
    let channel = &event["channel"];
    let (id, name) = (channel["id"].as_str()?, channel["name"].as_str()?);
    (!id.is_empty() && !name.is_empty()).then(|| (id.to_owned(), name.to_owned()))
}

impl SlackEvent {
    pub fn parse(event: &Value) -> Self {
        let kind = text(event, "type").unwrap_or_default();
        let channel = || text(event, "channel");
        let parsed =
            match kind.as_str() {
                "app_uninstalled" => Some(Self::AppUninstalled),
                "tokens_revoked" => Some(Self::TokensRevoked {
                    bot_users: event["tokens"]["bot"]
                        .as_array()
                        .map(|users| {
                            users
                                .iter()
                                .filter_map(|u| u.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                }),
                "channel_archive" => channel().map(|channel| Self::ChannelArchive { channel }),
                "channel_unarchive" => channel().map(|channel| Self::ChannelUnarchive { channel }),
                "channel_deleted" => channel().map(|channel| Self::ChannelDeleted { channel }),
                "channel_rename" => named_channel(event)
                    .map(|(channel, name)| Self::ChannelRename { channel, name }),
                "channel_created" => named_channel(event)
                    .map(|(channel, name)| Self::ChannelCreated { channel, name }),
                "member_left_channel" => match (text(event, "user"), channel()) {
                    (Some(user), Some(channel)) => Some(Self::MemberLeftChannel { user, channel }),
                    _ => None,
                },
                _ => None,
            };
        parsed.unwrap_or_else(|| {
            let plain = kind.len() <= MAX_TYPE_CHARS
                && kind
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
            Self::Ignored {
                event_type: if plain { kind } else { "unknown".to_owned() },
            }
        })
    }

    /// The metric label: one of the handled types, or `other` (Slack's catalogue of types
    /// is long and growing; a label must not follow it).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Ignored { .. } => "other",
            Self::AppUninstalled => "app_uninstalled",
            Self::TokensRevoked { .. } => "tokens_revoked",
            Self::ChannelArchive { .. } => "channel_archive",
            Self::ChannelUnarchive { .. } => "channel_unarchive",
            Self::ChannelDeleted { .. } => "channel_deleted",
            Self::ChannelCreated { .. } => "channel_created",
            Self::ChannelRename { .. } => "channel_rename",
            Self::MemberLeftChannel { .. } => "member_left_channel",
        }
    }

    pub fn kind(&self) -> &str {
        match self {
            Self::Ignored { event_type } => event_type,
            handled => handled.label(),
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
            SlackEvent::parse(
                &json!({"type": "channel_created", "channel": {"id": "C2", "name": "fresh", "creator": "U1"}})
            ),
            SlackEvent::ChannelCreated {
                channel: "C2".into(),
                name: "fresh".into()
            }
        );
        assert_eq!(
            SlackEvent::parse(&json!({"type": "channel_rename", "channel": {"id": "C1"}})),
            SlackEvent::Ignored {
                event_type: "channel_rename".into()
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

    mod properties {
        use proptest::{collection, prelude::*};

        use super::*;
        use crate::domain::testing::json;

        const LABELS: &[&str] = &[
            "app_uninstalled",
            "tokens_revoked",
            "channel_archive",
            "channel_unarchive",
            "channel_deleted",
            "channel_created",
            "channel_rename",
            "member_left_channel",
            "other",
        ];

        proptest! {
            #[test]
            fn any_event_parses_to_a_bounded_kind_and_label(event in json()) {
                let parsed = SlackEvent::parse(&event);
                prop_assert!(parsed.kind().len() <= MAX_TYPE_CHARS);
                prop_assert!(!parsed.kind().contains('\0'));
                prop_assert!(LABELS.contains(&parsed.label()));
            }

            #[test]
            fn any_body_is_an_envelope_or_refused(body in collection::vec(any::<u8>(), 0..256)) {
                if let Ok(envelope) = serde_json::from_slice::<EventEnvelope>(&body) {
                    let _ = envelope.check();
                }
            }

            #[test]
            fn a_checked_callback_is_storable(
                team_id in any::<String>(),
                event_id in prop_oneof![any::<String>(), "[A-Za-z0-9]{1,300}"],
                event_time in prop_oneof![any::<i64>(), 0i64..2_000_000_000],
                event in json(),
            ) {
                let envelope = EventEnvelope::EventCallback {
                    team_id: team_id.clone(),
                    enterprise_id: None,
                    event_id: event_id.clone(),
                    event_time,
                    event: event.clone(),
                };
                if envelope.check().is_ok() {
                    prop_assert!(event_time_utc(event_time).is_some());
                    prop_assert!(!event_id.is_empty() && event_id.chars().count() <= MAX_ID_CHARS);
                    for text in [&event_id, &team_id] {
                        prop_assert!(!text.contains('\0'));
                    }
                    prop_assert!(!serde_json::to_string(&event).unwrap().contains("\\u0000"));
                }
            }
        }
    }
}
