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
    faults::Fault,
    oauth,
    state::{SimState, Workspace},
};

#[derive(Deserialize)]
pub struct ConfigChange {
    #[serde(default)]
    rate_limits: Option<bool>,
}

pub async fn set_config(
    State(state): State<Arc<SimState>>,
    Json(change): Json<ConfigChange>,
) -> StatusCode {
    state.with(|inner| {
        if let Some(on) = change.rate_limits {
            inner.config.rate_limits = on;
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
