//! OAuth v2: the authorize page (which "approves" at once and redirects with a code) and
//! `oauth.v2.access`.

use std::{sync::Arc, time::Duration};

use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header::AUTHORIZATION},
    response::{IntoResponse, Redirect, Response},
};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use super::{
    params::Params,
    state::{CodeGrant, Inner, SimState},
    web_api::{ok, slack_error},
};

/// Slack's codes expire after 10 minutes.
const CODE_TTL: Duration = Duration::from_secs(600);

#[derive(Deserialize)]
pub struct AuthorizeQuery {
    client_id: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    redirect_uri: Option<String>,
    /// Slack's own parameter to pre-select a workspace; defaults to the only one.
    #[serde(default)]
    team: Option<String>,
}

pub fn mint_code(
    inner: &mut Inner,
    workspace_id: &str,
    redirect_uri: Option<String>,
    scope: &str,
) -> String {
    let code = format!("sim-code-{}", Inner::random_suffix());
    inner.codes.insert(
        code.clone(),
        CodeGrant {
            workspace_id: workspace_id.to_owned(),
            redirect_uri,
            scope: scope.to_owned(),
            issued: std::time::Instant::now(),
        },
    );
    code
}

/// `GET /oauth/v2/authorize`: the user approves at once; redirects back with a code.
pub async fn authorize(
    State(state): State<Arc<SimState>>,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    state.with(|inner| {
        if query.client_id != inner.config.client_id {
            return (StatusCode::BAD_REQUEST, "invalid_client_id").into_response();
        }
        let workspace_id = match &query.team {
            Some(team) if inner.workspaces.contains_key(team) => team.clone(),
            Some(_) => return (StatusCode::BAD_REQUEST, "unknown team").into_response(),
            None if inner.workspaces.len() == 1 => inner
                .workspaces
                .keys()
                .next()
                .cloned()
                .expect("one workspace"),
            None => {
                return (StatusCode::BAD_REQUEST, "choose a workspace with team=<id>")
                    .into_response();
            }
        };
        let Some(redirect_uri) = query.redirect_uri.clone() else {
            return (StatusCode::BAD_REQUEST, "redirect_uri is required").into_response();
        };
        let code = mint_code(
            inner,
            &workspace_id,
            Some(redirect_uri.clone()),
            &query.scope,
        );
        let mut target = match url::Url::parse(&redirect_uri) {
            Ok(url) => url,
            Err(_) => return (StatusCode::BAD_REQUEST, "bad_redirect_uri").into_response(),
        };
        target
            .query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &query.state);
        Redirect::to(target.as_str()).into_response()
    })
}

/// Client credentials from HTTP Basic auth or, as Slack also allows, the form.
fn client_credentials(headers: &HeaderMap, params: &Params) -> Option<(String, String)> {
    let basic = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            let (id, secret) = s.split_once(':')?;
            let decode = |v: &str| {
                url::form_urlencoded::parse(format!("v={v}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Some((decode(id)?, decode(secret)?))
        });
    basic.or_else(|| {
        Some((
            params.get("client_id")?.to_owned(),
            params.get("client_secret")?.to_owned(),
        ))
    })
}

/// `oauth.v2.access` with `code` (install).
pub fn access(inner: &mut Inner, headers: &HeaderMap, params: &Params) -> axum::response::Response {
    let Some((client_id, client_secret)) = client_credentials(headers, params) else {
        return slack_error("invalid_client_id");
    };
    if client_id != inner.config.client_id {
        return slack_error("invalid_client_id");
    }
    if client_secret != inner.config.client_secret {
        return slack_error("bad_client_secret");
    }
    if params.get("grant_type") == Some("refresh_token") {
        return refresh(inner, params);
    }
    let Some(code) = params.get("code") else {
        return slack_error("invalid_code");
    };
    // Codes are single use: taken out whatever happens next.
    let Some(grant) = inner.codes.remove(code) else {
        return slack_error("invalid_code");
    };
    if grant.issued.elapsed() > CODE_TTL {
        return slack_error("invalid_code");
    }
    if grant.redirect_uri.is_some() && grant.redirect_uri.as_deref() != params.get("redirect_uri") {
        return slack_error("bad_redirect_uri");
    }
    let Some(workspace) = inner.workspaces.get(&grant.workspace_id).cloned() else {
        return slack_error("invalid_code");
    };
    token_answer(inner, &workspace, grant.scope)
}

/// `oauth.v2.access` with `grant_type=refresh_token`: refresh tokens are single use; a
/// revoked install's are dead.
fn refresh(inner: &mut Inner, params: &Params) -> axum::response::Response {
    let Some(grant) = params
        .get("refresh_token")
        .and_then(|t| inner.refresh_tokens.get_mut(t))
    else {
        return slack_error("invalid_refresh_token");
    };
    if grant.used {
        return slack_error("invalid_refresh_token");
    }
    grant.used = true;
    let workspace_id = grant.workspace_id.clone();
    let revoked = inner
        .tokens
        .values()
        .filter(|t| t.workspace_id == workspace_id)
        .all(|t| t.revoked);
    let Some(workspace) = inner
        .workspaces
        .get(&workspace_id)
        .cloned()
        .filter(|_| !revoked)
    else {
        return slack_error("invalid_refresh_token");
    };
    inner.refreshes += 1;
    token_answer(inner, &workspace, String::new())
}

/// A fresh access token (and, with rotation, refresh token) for the workspace.
fn token_answer(
    inner: &mut Inner,
    workspace: &super::state::Workspace,
    scope: String,
) -> axum::response::Response {
    let token = inner.issue_token(&workspace.id, workspace.token_rotation);
    let team = if workspace.enterprise_install {
        serde_json::Value::Null
    } else {
        json!({"id": workspace.id, "name": workspace.name})
    };
    let enterprise = match (&workspace.enterprise_id, &workspace.enterprise_name) {
        (Some(id), name) => json!({"id": id, "name": name}),
        _ => serde_json::Value::Null,
    };
    let scope = if scope.is_empty() {
        "chat:write,channels:read,channels:join,channels:history".to_owned()
    } else {
        scope
    };
    let mut body = json!({
        "access_token": token.token,
        "token_type": "bot",
        "scope": scope,
        "bot_user_id": workspace.bot_user_id,
        "app_id": workspace.app_id,
        "team": team,
        "enterprise": enterprise,
        "is_enterprise_install": workspace.enterprise_install,
        "authed_user": {"id": "U0INSTALLR", "scope": "", "token_type": null},
    });
    if workspace.token_rotation {
        body["expires_in"] = json!(super::state::ROTATING_TOKEN_SECS);
        body["refresh_token"] = json!(inner.issue_refresh_token(&workspace.id));
    }
    ok(body)
}
