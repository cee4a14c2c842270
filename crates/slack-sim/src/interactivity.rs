//! `POST /_sim/interactions/click`: someone clicks a button of a posted message. The
//! simulator builds the `block_actions` payload as Slack does (the message with its
//! blocks and metadata, the action with the button's value, the container, a
//! response_url), signs it with the app's signing secret (v0) and posts it as the form
//! field `payload` to the configured interactivity Request URL.

use std::sync::Arc;

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use super::state::{Inner, SimState, unix_now};

#[derive(Deserialize)]
pub struct Click {
    channel: String,
    ts: String,
    action_id: String,
    /// Who clicks; a fresh user id when absent.
    #[serde(default)]
    user: Option<String>,
}

/// What was sent, so a test can replay the very same request.
fn sent(status: u16, body: &str, timestamp: &str, signature: &str) -> Value {
    json!({"status": status, "body": body, "timestamp": timestamp, "signature": signature})
}

pub async fn click(State(state): State<Arc<SimState>>, Json(click): Json<Click>) -> Response {
    let built = state.with(|inner| {
        let target = (
            inner.config.interactivity_url.clone(),
            inner.config.signing_secret.clone(),
        );
        payload(inner, &click).map(|payload| (payload, target))
    });
    let (payload, (Some(url), Some(secret))) = (match built {
        Ok(built) => built,
        Err(problem) => return (StatusCode::NOT_FOUND, problem).into_response(),
    }) else {
        return (
            StatusCode::CONFLICT,
            "set interactivity_url and signing_secret first (/_sim/config or the flags)",
        )
            .into_response();
    };
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish();
    let timestamp = unix_now().to_string();
    let signature = sign(&secret, &timestamp, &body);
    let answer = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", &timestamp)
        .header("x-slack-signature", &signature)
        .body(body.clone())
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await;
    match answer {
        Ok(answer) => Json(sent(
            answer.status().as_u16(),
            &body,
            &timestamp,
            &signature,
        ))
        .into_response(),
        Err(err) => (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    }
}

/// Slack's v0 request signature.
fn sign(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("v0={hex}")
}

/// The `block_actions` payload of the click, or why there is none.
fn payload(inner: &mut Inner, click: &Click) -> Result<Value, &'static str> {
    let message = inner
        .messages
        .iter()
        .find(|m| m.channel == click.channel && m.ts == click.ts && !m.deleted)
        .cloned()
        .ok_or("no such message")?;
    let (workspace_id, channel_name) = inner
        .channels
        .iter()
        .find_map(|(ws, channels)| {
            let channel = channels.iter().find(|c| c.id == click.channel)?;
            Some((ws.clone(), channel.name.clone()))
        })
        .ok_or("no such channel")?;
    let workspace = inner
        .workspaces
        .get(&workspace_id)
        .cloned()
        .ok_or("no such workspace")?;
    let (block_id, element) = find_action(message.blocks.as_ref(), &click.action_id)
        .ok_or("the message has no element with this action_id")?;
    let user = match &click.user {
        Some(user) => user.clone(),
        None => inner.next_id('U'),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let action_ts = format!("{}.{:06}", now.as_secs(), now.subsec_micros());
    let trigger_id = format!(
        "{}.{}",
        inner.next_id('1'),
        super::state::Inner::random_suffix()
    );
    let mut action = json!({
        "type": element["type"], "action_id": click.action_id, "block_id": block_id,
        "text": element["text"], "action_ts": action_ts,
    });
    if let Some(value) = element.get("value") {
        action["value"] = value.clone();
    }
    let mut message_json = json!({
        "type": "message", "ts": message.ts, "text": message.text, "user": message.user,
        "bot_id": message.bot_id, "blocks": message.blocks,
    });
    if let Some(metadata) = &message.metadata {
        message_json["metadata"] = metadata.clone();
    }
    if let Some(thread_ts) = &message.thread_ts {
        message_json["thread_ts"] = json!(thread_ts);
    }
    let enterprise = workspace
        .enterprise_id
        .as_ref()
        .map(|id| json!({"id": id, "name": workspace.enterprise_name}));
    Ok(json!({
        "type": "block_actions",
        "user": {"id": user, "username": user.to_lowercase(), "team_id": workspace.id},
        "api_app_id": workspace.app_id,
        "token": "sim-verification-token",
        "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel,
                      "is_ephemeral": false},
        "trigger_id": trigger_id,
        "team": {"id": workspace.id, "domain": workspace.name.to_lowercase().replace(' ', "-")},
        "enterprise": enterprise,
        "is_enterprise_install": workspace.enterprise_install,
        "channel": {"id": message.channel, "name": channel_name},
        "message": message_json,
        "state": {"values": {}},
        "response_url": format!("https://hooks.slack.com/actions/{}/{}/{}", workspace.id,
                                 inner.next_id('R'), super::state::Inner::random_suffix()),
        "actions": [action],
    }))
}

/// The interactive element with `action_id` (in an `actions` block, or a section's
/// accessory) and its block's id; Slack gives a block without one a generated id.
fn find_action(blocks: Option<&Value>, action_id: &str) -> Option<(String, Value)> {
    for (index, block) in blocks?.as_array()?.iter().enumerate() {
        let elements = block["elements"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(block.get("accessory"));
        for element in elements {
            if element["action_id"].as_str() == Some(action_id) {
                let block_id = block["block_id"]
                    .as_str()
                    .map_or_else(|| format!("sim-block-{index}"), str::to_owned);
                return Some((block_id, element.clone()));
            }
        }
    }
    None
}
