//! A click (or other block action) on a message, as Slack reports it and switchboard
//! records it (`slack.interaction` events). Parsed from Slack's payload in
//! `slack::interactions`.

use serde::Deserialize;
use serde_json::Value;

/// One action of a `block_actions` payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct BlockAction {
    #[serde(default)]
    pub action_id: String,
    #[serde(default)]
    pub block_id: String,
    /// Buttons carry `value`; menus carry `selected_option.value` (see `value`).
    #[serde(default)]
    pub(crate) value: Option<String>,
    #[serde(default)]
    pub(crate) selected_option: Option<Value>,
    #[serde(default)]
    pub action_ts: String,
}

impl BlockAction {
    pub fn value(&self) -> String {
        self.value
            .clone()
            .or_else(|| {
                let option = self.selected_option.as_ref()?;
                option.get("value")?.as_str().map(str::to_owned)
            })
            .unwrap_or_default()
    }
}

/// A click (or other block action) on a message, reduced to what switchboard needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockActions {
    /// The workspace, then the enterprise (org-wide installs are keyed on it).
    pub workspaces: Vec<String>,
    pub user_id: String,
    pub channel_id: String,
    pub message_ts: String,
    /// From the message metadata switchboard posts with every message.
    pub delivery_id: Option<String>,
    pub trigger_id: String,
    pub actions: Vec<BlockAction>,
}
