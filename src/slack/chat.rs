//! `chat.postMessage`, and `conversations.history` / `conversations.replies` to find a post
//! whose outcome we missed.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    SlackClient, SlackError,
    client::{ResponseMetadata, next_cursor},
};

/// `metadata.event_type` of every message switchboard posts.
pub const DELIVERY_EVENT_TYPE: &str = "switchboard_delivery";

/// What to post (the stored payload plus where).
pub struct PostMessage<'a> {
    pub channel: &'a str,
    pub payload: &'a Value,
    pub thread_ts: Option<&'a str>,
    /// Carried as message metadata so the post can be found again.
    pub delivery_id: &'a str,
}

#[derive(Deserialize)]
struct Posted {
    ts: String,
}

#[derive(Debug, Deserialize)]
pub struct HistoryMessage {
    pub ts: String,
    #[serde(default)]
    pub thread_ts: Option<String>,
    #[serde(default)]
    pub metadata: Option<Value>,
}

#[derive(Deserialize)]
struct History {
    #[serde(default)]
    messages: Vec<HistoryMessage>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    response_metadata: Option<ResponseMetadata>,
}

impl SlackClient {
    /// Posts as JSON (blocks and metadata are structured). Returns Slack's `ts`.
    pub async fn chat_post_message(
        &self,
        token: &SecretString,
        post: &PostMessage<'_>,
    ) -> Result<String, SlackError> {
        let mut body = post.payload.clone();
        body["channel"] = json!(post.channel);
        if let Some(thread_ts) = post.thread_ts {
            body["thread_ts"] = json!(thread_ts);
        }
        body["metadata"] = json!({
            "event_type": DELIVERY_EVENT_TYPE,
            "event_payload": {"delivery_id": post.delivery_id},
        });
        let answer = self.call_json("chat.postMessage", token, &body).await?;
        serde_json::from_value::<Posted>(answer)
            .map(|p| p.ts)
            .map_err(|e| SlackError::Protocol(e.to_string()))
    }

    /// The message carrying `delivery_id` in its metadata, posted since `oldest`: searched
    /// in the channel's history, or for a reply in its thread (the history lists only the
    /// roots of threads).
    pub async fn find_delivery_post(
        &self,
        token: &SecretString,
        channel: &str,
        thread_ts: Option<&str>,
        delivery_id: &str,
        oldest: DateTime<Utc>,
    ) -> Result<Option<HistoryMessage>, SlackError> {
        let oldest = format!("{}.000000", oldest.timestamp());
        let (method, mut form) = match thread_ts {
            Some(ts) => ("conversations.replies", vec![("ts", ts)]),
            None => ("conversations.history", vec![]),
        };
        form.extend([
            ("channel", channel),
            ("oldest", oldest.as_str()),
            ("limit", "200"),
            ("include_all_metadata", "true"),
        ]);
        let mut cursor: Option<String> = None;
        loop {
            let mut form = form.clone();
            if let Some(cursor) = &cursor {
                form.push(("cursor", cursor));
            }
            let page: History = self.call(method, token, &form).await?;
            let found = page.messages.into_iter().find(|m| {
                m.metadata.as_ref().is_some_and(|meta| {
                    meta["event_type"] == DELIVERY_EVENT_TYPE
                        && meta["event_payload"]["delivery_id"] == delivery_id
                })
            });
            if found.is_some() {
                return Ok(found);
            }
            cursor = next_cursor(page.response_metadata);
            if !page.has_more || cursor.is_none() {
                return Ok(None);
            }
        }
    }
}

/// A message of a thread, as `conversations.replies` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct ThreadMessage {
    pub ts: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub bot_id: String,
    #[serde(default)]
    pub thread_ts: Option<String>,
}

#[derive(Deserialize)]
struct Replies {
    #[serde(default)]
    messages: Vec<ThreadMessage>,
    #[serde(default)]
    response_metadata: Option<ResponseMetadata>,
}

impl SlackClient {
    /// `chat.update`: replaces the text/blocks of the message at `ts`.
    pub async fn chat_update(
        &self,
        token: &SecretString,
        channel: &str,
        ts: &str,
        payload: &Value,
    ) -> Result<(), SlackError> {
        let mut body = json!({"channel": channel, "ts": ts});
        for key in ["text", "blocks"] {
            if let Some(value) = payload.get(key).filter(|v| !v.is_null()) {
                body[key] = value.clone();
            }
        }
        self.call_json("chat.update", token, &body)
            .await
            .map(|_| ())
    }

    /// `chat.delete`: removes the message at `ts`.
    pub async fn chat_delete(
        &self,
        token: &SecretString,
        channel: &str,
        ts: &str,
    ) -> Result<(), SlackError> {
        self.call_json("chat.delete", token, &json!({"channel": channel, "ts": ts}))
            .await
            .map(|_| ())
    }

    /// `conversations.replies`: the thread rooted at `ts`, parent first, every page.
    pub async fn conversations_replies(
        &self,
        token: &SecretString,
        channel: &str,
        ts: &str,
    ) -> Result<Vec<ThreadMessage>, SlackError> {
        let mut messages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut form = vec![("channel", channel), ("ts", ts), ("limit", "200")];
            if let Some(cursor) = &cursor {
                form.push(("cursor", cursor));
            }
            let page: Replies = self.call("conversations.replies", token, &form).await?;
            messages.extend(page.messages);
            cursor = next_cursor(page.response_metadata);
            if cursor.is_none() {
                return Ok(messages);
            }
        }
    }

    /// A Web API call with a JSON body.
    async fn call_json(
        &self,
        method: &str,
        token: &SecretString,
        body: &Value,
    ) -> Result<Value, SlackError> {
        self.request(method, token, |request| request.json(body))
            .await
    }
}
