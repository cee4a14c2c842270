//! `chat.postMessage` (paced per channel and per workspace like Slack) and
//! `conversations.history`, with a record of every message accepted.

use std::time::{Duration, Instant};

use axum::response::Response;
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    params::Params,
    state::{Inner, RateLimitedPost, Workspace, unix_micros},
    web_api::{ok, rate_limited, slack_error},
};

/// Slack's pace for posts: about one a second per channel, short bursts tolerated.
pub const CHANNEL_INTERVAL: Duration = Duration::from_secs(1);
pub const CHANNEL_BURST: u32 = 4;
/// Workspace-wide cap on posts, per second (and the burst it tolerates).
pub const WORKSPACE_PER_SECOND: u32 = 2000;

#[derive(Debug, Clone, Serialize)]
pub struct SimMessage {
    pub ts: String,
    pub channel: String,
    pub text: Option<String>,
    pub blocks: Option<Value>,
    pub thread_ts: Option<String>,
    pub reply_broadcast: bool,
    pub metadata: Option<Value>,
    pub user: String,
    pub bot_id: String,
    /// Times `chat.update` changed it.
    pub edits: u32,
    pub deleted: bool,
    /// When the simulator accepted it: unix microseconds of its wall clock.
    pub received_us: u64,
}

/// GCRA per key: allowed when the theoretical arrival time is within the burst window.
#[derive(Default)]
pub struct Pacer {
    tat: std::collections::HashMap<String, Instant>,
}

impl Pacer {
    pub fn allow(
        &mut self,
        key: &str,
        interval: Duration,
        burst: u32,
        now: Instant,
    ) -> Result<(), Duration> {
        let tat = self.tat.get(key).copied().unwrap_or(now).max(now);
        let window = interval * burst.saturating_sub(1);
        if tat > now + window {
            return Err(tat - (now + window));
        }
        self.tat.insert(key.to_owned(), tat + interval);
        Ok(())
    }
}

fn next_ts(inner: &mut Inner) -> String {
    inner.ts_counter += 1;
    format!(
        "{}.{:06}",
        super::state::unix_now(),
        inner.ts_counter % 1_000_000
    )
}

/// Posts the message and answers as Slack does (the post, or why not).
pub fn post_message(inner: &mut Inner, workspace: &Workspace, params: &Params) -> Response {
    let Some(channel_id) = params.get("channel").map(str::to_owned) else {
        return slack_error("channel_not_found");
    };
    let Some(channel) = inner
        .channels
        .get(&workspace.id)
        .and_then(|cs| cs.iter().find(|c| c.id == channel_id))
    else {
        return slack_error("channel_not_found");
    };
    if channel.is_archived {
        return slack_error("is_archived");
    }
    if !channel.members.contains(&workspace.bot_user_id) {
        return slack_error("not_in_channel");
    }
    let text = params.get("text").map(str::to_owned);
    let blocks = params
        .get("blocks")
        .and_then(|b| serde_json::from_str::<Value>(b).ok());
    if text.is_none() && blocks.is_none() {
        return slack_error("no_text");
    }
    if blocks
        .as_ref()
        .and_then(Value::as_array)
        .is_some_and(|b| b.len() > 50)
    {
        return slack_error("invalid_blocks");
    }
    let thread_ts = params.get("thread_ts").map(str::to_owned);
    if let Some(parent) = &thread_ts {
        let exists = inner.messages.iter().any(|m| {
            m.channel == channel_id
                && &m.ts == parent
                && m.thread_ts.as_ref().is_none_or(|t| t == parent)
        });
        if !exists {
            return slack_error("thread_not_found");
        }
    }
    let now = Instant::now();
    let key = format!("{}/{}", workspace.id, channel_id);
    let (interval, burst) = (inner.config.post_interval, inner.config.post_burst);
    let channel_pace = match inner.config.post_clock_offset {
        Some(offset) => inner.post_ticks.allow(&key, interval, burst, offset, now),
        None => inner.post_pacer.allow(&key, interval, burst, now),
    };
    let per_second = inner.config.workspace_posts_per_second.max(1);
    let ws_interval = Duration::from_secs(1) / per_second;
    if let Err(wait) = channel_pace.and_then(|()| {
        inner
            .post_pacer
            .allow(&workspace.id, ws_interval, per_second, now)
    }) {
        let retry_after_s = wait.as_secs().max(1);
        inner.rate_limited_posts += 1;
        inner.rate_limited_post_log.push(RateLimitedPost {
            channel: channel_id,
            at_us: unix_micros(),
            retry_after_s,
        });
        return rate_limited(Some(retry_after_s));
    }
    let message = SimMessage {
        ts: next_ts(inner),
        channel: channel_id,
        text: text.map(|t| t.chars().take(40_000).collect()),
        blocks,
        thread_ts,
        reply_broadcast: matches!(params.get("reply_broadcast"), Some("true" | "1")),
        metadata: params
            .get("metadata")
            .and_then(|m| serde_json::from_str(m).ok()),
        user: workspace.bot_user_id.clone(),
        bot_id: workspace.bot_id.clone(),
        edits: 0,
        deleted: false,
        received_us: unix_micros(),
    };
    let answer = posted(&message);
    inner.messages.push(message);
    answer
}

pub fn posted(message: &SimMessage) -> Response {
    ok(json!({"channel": message.channel, "ts": message.ts, "message": message}))
}

pub fn history(inner: &Inner, workspace: &Workspace, params: &Params) -> Response {
    let Some(channel) = params.get("channel") else {
        return slack_error("channel_not_found");
    };
    let known = inner
        .channels
        .get(&workspace.id)
        .is_some_and(|cs| cs.iter().any(|c| c.id == channel));
    if !known {
        return slack_error("channel_not_found");
    }
    let oldest: f64 = params
        .get("oldest")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0.0);
    let with_metadata = matches!(params.get("include_all_metadata"), Some("true" | "1"));
    // Newest first, as Slack answers; thread replies only when broadcast.
    let messages: Vec<Value> = inner
        .messages
        .iter()
        .rev()
        .filter(|m| m.channel == channel && !m.deleted)
        .filter(|m| m.thread_ts.is_none() || m.reply_broadcast || m.thread_ts.as_ref() == Some(&m.ts))
        .filter(|m| m.ts.parse::<f64>().unwrap_or(0.0) >= oldest)
        .map(|m| {
            let mut v = json!({"type": "message", "ts": m.ts, "text": m.text, "user": m.user, "bot_id": m.bot_id});
            if let Some(thread) = &m.thread_ts {
                v["thread_ts"] = json!(thread);
            }
            if with_metadata && let Some(meta) = &m.metadata {
                v["metadata"] = meta.clone();
            }
            v
        })
        .collect();
    ok(json!({"messages": messages, "has_more": false, "response_metadata": {"next_cursor": ""}}))
}

fn find_message<'a>(inner: &'a mut Inner, params: &Params) -> Option<&'a mut SimMessage> {
    let (channel, ts) = (params.get("channel")?, params.get("ts")?);
    inner
        .messages
        .iter_mut()
        .find(|m| m.channel == channel && m.ts == ts && !m.deleted)
}

/// `chat.update`: new text and/or blocks for a message.
pub fn update(inner: &mut Inner, params: &Params) -> Response {
    let Some(message) = find_message(inner, params) else {
        return slack_error("message_not_found");
    };
    if let Some(text) = params.get("text") {
        message.text = Some(text.to_owned());
    }
    if let Some(blocks) = params
        .get("blocks")
        .and_then(|b| serde_json::from_str(b).ok())
    {
        message.blocks = Some(blocks);
    }
    message.edits += 1;
    ok(json!({"channel": message.channel, "ts": message.ts, "text": message.text}))
}

/// `chat.delete`.
pub fn delete(inner: &mut Inner, params: &Params) -> Response {
    match find_message(inner, params) {
        Some(message) => {
            message.deleted = true;
            ok(json!({"channel": message.channel, "ts": message.ts}))
        }
        None => slack_error("message_not_found"),
    }
}

/// `conversations.replies`: the thread rooted at `ts`, parent first.
pub fn replies(inner: &Inner, params: &Params) -> Response {
    let (Some(channel), Some(ts)) = (params.get("channel"), params.get("ts")) else {
        return slack_error("thread_not_found");
    };
    let with_metadata = matches!(params.get("include_all_metadata"), Some("true" | "1"));
    let thread: Vec<Value> = inner
        .messages
        .iter()
        .filter(|m| m.channel == channel && !m.deleted)
        .filter(|m| m.ts == ts || m.thread_ts.as_deref() == Some(ts))
        .map(|m| {
            let mut v = json!({"type": "message", "ts": m.ts, "text": m.text, "user": m.user,
                   "bot_id": m.bot_id, "thread_ts": m.thread_ts.clone().unwrap_or_else(|| m.ts.clone())});
            if with_metadata && let Some(meta) = &m.metadata {
                v["metadata"] = meta.clone();
            }
            v
        })
        .collect();
    if thread.is_empty() {
        return slack_error("thread_not_found");
    }
    ok(json!({"messages": thread, "has_more": false, "response_metadata": {"next_cursor": ""}}))
}
