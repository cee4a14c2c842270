//! Interactivity payloads (the `payload` form field Slack posts to the Request URL when
//! someone clicks a button): only `block_actions` on a message is acted on.

use serde::Deserialize;
use serde_json::Value;

use super::{DELIVERY_EVENT_TYPE, events::contains_nul};
use crate::domain::{BlockAction, BlockActions};

/// Longest id kept from a payload (Slack's are a few dozen characters).
const MAX_ID_CHARS: usize = 255;
/// Slack caps a button's value at 2000 characters.
const MAX_VALUE_CHARS: usize = 2000;

#[derive(Debug, Default, Deserialize)]
struct Named {
    #[serde(default)]
    id: String,
}

#[derive(Debug, Default, Deserialize)]
struct Container {
    #[serde(default)]
    message_ts: String,
    #[serde(default)]
    channel_id: String,
}

#[derive(Debug, Default, Deserialize)]
struct Message {
    #[serde(default)]
    ts: String,
    #[serde(default)]
    metadata: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct RawPayload {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    team: Option<Named>,
    #[serde(default)]
    enterprise: Option<Named>,
    #[serde(default)]
    user: Option<Named>,
    #[serde(default)]
    channel: Option<Named>,
    #[serde(default)]
    container: Option<Container>,
    #[serde(default)]
    message: Option<Message>,
    #[serde(default)]
    trigger_id: String,
    #[serde(default)]
    actions: Vec<BlockAction>,
}

/// What a payload is.
#[derive(Debug, PartialEq, Eq)]
pub enum Interaction {
    BlockActions(BlockActions),
    /// Another type (`view_submission`, `shortcut`, ...) or actions outside a message.
    Ignored {
        kind: String,
    },
}

impl Interaction {
    /// Parses the JSON of the `payload` field; `Err` when it is not a payload Slack sends
    /// or holds what Postgres cannot store.
    pub fn parse(json: &str) -> Result<Self, &'static str> {
        let raw: RawPayload =
            serde_json::from_str(json).map_err(|_| "payload is not an interaction payload")?;
        let (Some(container), Some(message)) = (raw.container, raw.message) else {
            return Ok(Self::Ignored { kind: raw.kind });
        };
        if raw.kind != "block_actions" {
            return Ok(Self::Ignored { kind: raw.kind });
        }
        let channel_id = raw
            .channel
            .map(|c| c.id)
            .filter(|id| !id.is_empty())
            .unwrap_or(container.channel_id);
        let message_ts = if message.ts.is_empty() {
            container.message_ts
        } else {
            message.ts
        };
        let workspaces = [raw.team, raw.enterprise]
            .into_iter()
            .flatten()
            .map(|n| n.id)
            .filter(|id| !id.is_empty())
            .collect();
        let parsed = BlockActions {
            workspaces,
            user_id: raw.user.map(|u| u.id).unwrap_or_default(),
            channel_id,
            message_ts,
            delivery_id: message.metadata.as_ref().and_then(delivery_of),
            trigger_id: raw.trigger_id,
            actions: raw.actions,
        };
        parsed.check()?;
        Ok(Self::BlockActions(parsed))
    }
}

/// The delivery id in switchboard's message metadata, when the metadata is ours.
fn delivery_of(metadata: &Value) -> Option<String> {
    if metadata.get("event_type")?.as_str()? != DELIVERY_EVENT_TYPE {
        return None;
    }
    let id = metadata
        .get("event_payload")?
        .get("delivery_id")?
        .as_str()?;
    Some(id.to_owned())
}

impl BlockActions {
    /// Refuses what Slack never sends, even when signed: odd ids, the NUL character.
    fn check(&self) -> Result<(), &'static str> {
        let id_like = |id: &str| id.chars().count() <= MAX_ID_CHARS && !id.contains('\0');
        let ids = [
            &self.user_id,
            &self.channel_id,
            &self.message_ts,
            &self.trigger_id,
        ]
        .into_iter()
        .chain(&self.workspaces)
        .chain(&self.delivery_id);
        let actions_ok = self.actions.iter().all(|a| {
            [&a.action_id, &a.block_id, &a.action_ts]
                .into_iter()
                .all(|id| id_like(id))
                && a.selected_option.as_ref().is_none_or(|o| !contains_nul(o))
                && a.value
                    .as_deref()
                    .is_none_or(|v| v.chars().count() <= MAX_VALUE_CHARS && !v.contains('\0'))
        });
        if ids.into_iter().all(|id| id_like(id)) && actions_ok {
            Ok(())
        } else {
            Err("the payload has an id or value Slack never sends")
        }
    }

    /// What identifies this interaction across Slack's deliveries of it: the trigger and
    /// the first action's time (a trigger is unique to one user gesture).
    pub fn replay_key(&self) -> Option<String> {
        let action_ts = self.actions.first().map(|a| a.action_ts.as_str())?;
        (!self.trigger_id.is_empty()).then(|| format!("{}:{action_ts}", self.trigger_id))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn click(metadata: Value) -> Value {
        json!({
            "type": "block_actions", "trigger_id": "123.456.abc",
            "team": {"id": "T1"}, "user": {"id": "U1"}, "channel": {"id": "C1"},
            "container": {"type": "message", "message_ts": "1.000001", "channel_id": "C1"},
            "message": {"ts": "1.000001", "metadata": metadata},
            "actions": [{"action_id": "approve", "block_id": "b1", "type": "button",
                         "value": "yes", "action_ts": "2.5"}],
        })
    }

    #[test]
    fn a_click_on_our_message_names_its_delivery() {
        let metadata =
            json!({"event_type": DELIVERY_EVENT_TYPE, "event_payload": {"delivery_id": "d-1"}});
        let Interaction::BlockActions(parsed) =
            Interaction::parse(&click(metadata).to_string()).unwrap()
        else {
            panic!("a block action");
        };
        assert_eq!(parsed.delivery_id.as_deref(), Some("d-1"));
        assert_eq!(parsed.workspaces, ["T1"]);
        assert_eq!(
            (parsed.channel_id.as_str(), parsed.message_ts.as_str()),
            ("C1", "1.000001")
        );
        assert_eq!(parsed.actions[0].value(), "yes");
        assert_eq!(parsed.replay_key().as_deref(), Some("123.456.abc:2.5"));
    }

    #[test]
    fn others_metadata_and_other_types_are_not_ours() {
        let foreign = json!({"event_type": "their_event", "event_payload": {"delivery_id": "d-1"}});
        let Interaction::BlockActions(parsed) =
            Interaction::parse(&click(foreign).to_string()).unwrap()
        else {
            panic!("a block action");
        };
        assert_eq!(parsed.delivery_id, None);
        let modal = json!({"type": "view_submission", "view": {}});
        assert_eq!(
            Interaction::parse(&modal.to_string()).unwrap(),
            Interaction::Ignored {
                kind: "view_submission".into()
            }
        );
        assert!(Interaction::parse("not json").is_err());
        let mut nul = click(Value::Null);
        nul["actions"][0]["value"] = json!("a\0b");
        assert!(Interaction::parse(&nul.to_string()).is_err());
    }
}
