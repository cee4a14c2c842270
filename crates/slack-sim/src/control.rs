//! `/_sim/*`: the control API tests and the demo use to arrange the simulated Slack.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;

use super::{
    conversations::SimChannel,
    faults::Fault,
    oauth,
    state::{SimState, Workspace},
};

#[derive(Deserialize)]
pub struct ConfigChange {
    #[serde(default)]
    rate_limits: Option<bool>,
    /// `chat.postMessage` pace per channel.
    #[serde(default)]
    post_interval_ms: Option<u64>,
    #[serde(default)]
    post_burst: Option<u32>,
    #[serde(default)]
    workspace_posts_per_second: Option<u32>,
    #[serde(default)]
    signing_secret: Option<String>,
    #[serde(default)]
    interactivity_url: Option<String>,
}

pub async fn set_config(
    State(state): State<Arc<SimState>>,
    Json(change): Json<ConfigChange>,
) -> StatusCode {
    state.with(|inner| {
        if let Some(on) = change.rate_limits {
            inner.config.rate_limits = on;
        }
        if let Some(ms) = change.post_interval_ms {
            inner.config.post_interval = std::time::Duration::from_millis(ms.max(1));
        }
        if let Some(burst) = change.post_burst {
            inner.config.post_burst = burst.max(1);
        }
        if let Some(cap) = change.workspace_posts_per_second {
            inner.config.workspace_posts_per_second = cap.max(1);
        }
        if change.signing_secret.is_some() {
            inner.config.signing_secret = change.signing_secret;
        }
        if change.interactivity_url.is_some() {
            inner.config.interactivity_url = change.interactivity_url;
        }
    });
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub struct NewWorkspace {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default)]
    enterprise_id: Option<String>,
    #[serde(default)]
    enterprise_name: Option<String>,
    #[serde(default)]
    enterprise_install: bool,
    #[serde(default)]
    token_rotation: bool,
}

pub async fn create_workspace(
    State(state): State<Arc<SimState>>,
    Json(new): Json<NewWorkspace>,
) -> Response {
    if new.enterprise_install && new.enterprise_id.is_none() {
        return (
            StatusCode::BAD_REQUEST,
            "enterprise_install needs enterprise_id",
        )
            .into_response();
    }
    let workspace = state.with(|inner| {
        // An org-wide install is keyed on the enterprise id, as Slack keys it.
        let id = match (&new.id, new.enterprise_install) {
            (_, true) => new.enterprise_id.clone().expect("checked above"),
            (Some(id), false) => id.clone(),
            (None, false) => inner.next_id('T'),
        };
        let workspace = Workspace {
            id: id.clone(),
            name: new.name,
            enterprise_id: new.enterprise_id,
            enterprise_name: new.enterprise_name,
            enterprise_install: new.enterprise_install,
            token_rotation: new.token_rotation,
            bot_user_id: inner.next_id('U'),
            bot_id: inner.next_id('B'),
            app_id: "A0SWITCHBD".into(),
        };
        inner.workspaces.insert(id, workspace.clone());
        workspace
    });
    (StatusCode::CREATED, Json(workspace)).into_response()
}

pub async fn get_workspace(State(state): State<Arc<SimState>>, Path(id): Path<String>) -> Response {
    match state.with(|inner| inner.workspaces.get(&id).cloned()) {
        Some(workspace) => Json(workspace).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize, Default)]
pub struct CodeRequest {
    #[serde(default)]
    redirect_uri: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// Mints an authorization code for a workspace, as if a user had approved the install.
pub async fn mint_code(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    body: Option<Json<CodeRequest>>,
) -> Response {
    let request = body.map(|Json(b)| b).unwrap_or_default();
    state.with(|inner| {
        if !inner.workspaces.contains_key(&id) {
            return StatusCode::NOT_FOUND.into_response();
        }
        let scope = request.scope.unwrap_or_default();
        let code = oauth::mint_code(inner, &id, request.redirect_uri, &scope);
        Json(json!({ "code": code })).into_response()
    })
}

/// Revokes every token of the workspace (as an uninstall does).
pub async fn revoke_workspace(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
) -> StatusCode {
    state.with(|inner| {
        for token in inner.tokens.values_mut().filter(|t| t.workspace_id == id) {
            token.revoked = true;
        }
    });
    StatusCode::NO_CONTENT
}

/// Expires every token of the workspace now (as if 12 hours had passed).
pub async fn expire_tokens(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
) -> StatusCode {
    state.with(|inner| {
        let now = super::state::unix_now();
        for token in inner
            .tokens
            .values_mut()
            .filter(|t| t.workspace_id == id && t.expires_at.is_some())
        {
            token.expires_at = Some(now);
        }
    });
    StatusCode::NO_CONTENT
}

/// Every token issued for the workspace, oldest first.
pub async fn list_tokens(State(state): State<Arc<SimState>>, Path(id): Path<String>) -> Response {
    let mut tokens: Vec<_> = state.with(|inner| {
        inner
            .tokens
            .values()
            .filter(|t| t.workspace_id == id)
            .cloned()
            .collect()
    });
    tokens.sort_by_key(|t| t.serial);
    Json(tokens).into_response()
}

pub async fn add_fault(State(state): State<Arc<SimState>>, Json(fault): Json<Fault>) -> StatusCode {
    state.with(|inner| inner.faults.push(fault));
    StatusCode::NO_CONTENT
}

/// Lets every call held by a `hold` fault go on.
pub async fn release_held(State(state): State<Arc<SimState>>) -> StatusCode {
    state.released.send_modify(|n| *n += 1);
    StatusCode::NO_CONTENT
}

pub async fn clear_faults(State(state): State<Arc<SimState>>) -> StatusCode {
    state.with(|inner| inner.faults.clear());
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub struct CallFilter {
    #[serde(default)]
    method: Option<String>,
}

pub async fn list_calls(
    State(state): State<Arc<SimState>>,
    Query(filter): Query<CallFilter>,
) -> Response {
    let calls: Vec<_> = state.with(|inner| {
        inner
            .calls
            .iter()
            .filter(|c| filter.method.as_deref().is_none_or(|m| m == c.method))
            .cloned()
            .collect()
    });
    Json(calls).into_response()
}

pub async fn clear_calls(State(state): State<Arc<SimState>>) -> StatusCode {
    state.with(|inner| inner.calls.clear());
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub struct NewChannels {
    name: String,
    #[serde(default)]
    is_private: bool,
    #[serde(default)]
    purpose: String,
    /// Whether the bot is already a member.
    #[serde(default)]
    bot_member: bool,
    /// Creates this many channels named `{name}-0000`, `{name}-0001`, ... instead of one.
    #[serde(default)]
    count: Option<usize>,
}

/// Creates channels; answers `[{id, name}]`.
pub async fn create_channels(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    Json(new): Json<NewChannels>,
) -> Response {
    state.with(|inner| {
        let Some(workspace) = inner.workspaces.get(&id).cloned() else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let names: Vec<String> = match new.count {
            Some(count) => (0..count).map(|i| format!("{}-{i:04}", new.name)).collect(),
            None => vec![new.name.clone()],
        };
        let mut created = Vec::with_capacity(names.len());
        for name in names {
            let channel = SimChannel {
                id: inner.next_id(if new.is_private { 'G' } else { 'C' }),
                name,
                is_private: new.is_private,
                is_archived: false,
                purpose: new.purpose.clone(),
                members: if new.bot_member {
                    vec![workspace.bot_user_id.clone()]
                } else {
                    vec![]
                },
            };
            created.push(json!({"id": channel.id, "name": channel.name}));
            inner.channels.entry(id.clone()).or_default().push(channel);
        }
        (StatusCode::CREATED, Json(created)).into_response()
    })
}

#[derive(Deserialize, Default)]
pub struct ChannelChange {
    #[serde(default)]
    name: Option<String>,
}

/// `archive`, `unarchive`, `rename` (`{"name"}`) or `kick_bot`.
pub async fn change_channel(
    State(state): State<Arc<SimState>>,
    Path((id, channel, action)): Path<(String, String, String)>,
    body: Option<Json<ChannelChange>>,
) -> StatusCode {
    let change = body.map(|Json(b)| b).unwrap_or_default();
    state.with(|inner| {
        let bot = inner.workspaces.get(&id).map(|w| w.bot_user_id.clone());
        let Some(c) = inner
            .channels
            .get_mut(&id)
            .and_then(|cs| cs.iter_mut().find(|c| c.id == channel))
        else {
            return StatusCode::NOT_FOUND;
        };
        match (action.as_str(), change.name) {
            ("archive", _) => c.is_archived = true,
            ("unarchive", _) => c.is_archived = false,
            ("rename", Some(name)) => c.name = name,
            ("kick_bot", _) => c.members.retain(|m| Some(m) != bot.as_ref()),
            _ => return StatusCode::BAD_REQUEST,
        }
        StatusCode::NO_CONTENT
    })
}

pub async fn delete_channel(
    State(state): State<Arc<SimState>>,
    Path((id, channel)): Path<(String, String)>,
) -> StatusCode {
    state.with(|inner| {
        if let Some(channels) = inner.channels.get_mut(&id) {
            channels.retain(|c| c.id != channel);
        }
    });
    StatusCode::NO_CONTENT
}

/// Every message accepted, with the rate-limit refusals: `{messages, rate_limited,
/// rate_limited_calls}` (posts over their pace; other calls over their tier).
pub async fn list_messages(State(state): State<Arc<SimState>>) -> Response {
    state.with(|inner| {
        Json(
            json!({"messages": inner.messages, "rate_limited": inner.rate_limited_posts,
                    "rate_limited_log": inner.rate_limited_post_log,
                    "rate_limited_calls": inner.rate_limited_calls, "refreshes": inner.refreshes}),
        )
        .into_response()
    })
}
