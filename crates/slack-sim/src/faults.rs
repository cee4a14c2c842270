//! Faults a test can inject into a method: Slack errors, HTTP failures, delays, 429s.

use std::time::Duration;

use serde::Deserialize;

/// One injected fault. `times` limits how many calls it hits (unlimited when absent).
#[derive(Debug, Clone, Deserialize)]
pub struct Fault {
    /// Web API method, e.g. `auth.test`; `*` for every method.
    pub method: String,
    /// Only calls for this workspace.
    #[serde(default)]
    pub workspace_id: Option<String>,
    #[serde(default)]
    pub times: Option<u32>,
    /// Hit only every n-th matching call (e.g. 3 for a third of the traffic).
    #[serde(default)]
    pub every: Option<u32>,
    /// Matching calls seen so far (for `every`).
    #[serde(skip)]
    pub seen: u32,
    #[serde(flatten)]
    pub kind: FaultKind,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FaultKind {
    /// HTTP 200 `{"ok": false, "error": code}`.
    Error { error: String },
    /// A bare HTTP status (e.g. 500, 503).
    HttpStatus { status: u16 },
    /// HTTP 429 with `Retry-After` (seconds); without it, like `message_limit_exceeded`.
    RateLimited {
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Answer normally, but only after this long.
    Delay { delay_ms: u64 },
    /// Do the work (e.g. record the post), then answer only after this long: a client
    /// with a shorter timeout never learns that it worked.
    RecordThenDelay { delay_ms: u64 },
    /// Do the work, then break the connection instead of answering.
    RecordThenDrop,
    /// Keep the call waiting, its work not done, until `POST /_sim/faults/release`: Slack
    /// slow to process a request it has received (the call is listed in `/_sim/calls`
    /// while it waits).
    Hold,
    /// Do the work, then answer without these top-level fields of the JSON body.
    OmitFields { fields: Vec<String> },
}

impl Fault {
    pub fn applies_to(&self, method: &str, workspace_id: Option<&str>) -> bool {
        (self.method == "*" || self.method == method)
            && self
                .workspace_id
                .as_deref()
                .is_none_or(|w| Some(w) == workspace_id)
    }

    pub fn delay(&self) -> Option<Duration> {
        match self.kind {
            FaultKind::Delay { delay_ms } | FaultKind::RecordThenDelay { delay_ms } => {
                Some(Duration::from_millis(delay_ms))
            }
            _ => None,
        }
    }
}
