//! `conversations.list`, `conversations.info`, `conversations.join`.

use axum::response::Response;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    params::Params,
    state::{Inner, Workspace},
    web_api::{ok, slack_error},
};

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct SimChannel {
    pub id: String,
    pub name: String,
    pub is_private: bool,
    pub is_archived: bool,
    pub purpose: String,
    pub members: Vec<String>,
}

impl SimChannel {
    fn to_json(&self, bot_user_id: &str) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "is_channel": !self.is_private,
            "is_group": self.is_private,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_member": self.members.iter().any(|m| m == bot_user_id),
            "num_members": self.members.len(),
            "purpose": {"value": self.purpose},
            "topic": {"value": ""},
        })
    }
}

fn channel<'a>(
    inner: &'a mut Inner,
    workspace: &Workspace,
    id: Option<&str>,
) -> Option<&'a mut SimChannel> {
    let id = id?;
    inner
        .channels
        .get_mut(&workspace.id)?
        .iter_mut()
        .find(|c| c.id == id)
}

pub fn list(inner: &Inner, workspace: &Workspace, params: &Params) -> Response {
    let types = params.get("types").unwrap_or("public_channel");
    let (public, private) = (
        types.contains("public_channel"),
        types.contains("private_channel"),
    );
    let exclude_archived = matches!(params.get("exclude_archived"), Some("true" | "1"));
    let limit = params
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, MAX_LIMIT);
    let offset = match params.get("cursor") {
        None => 0,
        Some(cursor) => match URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("offset:")?.parse::<usize>().ok())
        {
            Some(offset) => offset,
            None => return slack_error("invalid_cursor"),
        },
    };
    let visible: Vec<&SimChannel> = inner
        .channels
        .get(&workspace.id)
        .map(|channels| {
            channels
                .iter()
                .filter(|c| if c.is_private { private } else { public })
                .filter(|c| !(exclude_archived && c.is_archived))
                .collect()
        })
        .unwrap_or_default();
    let page: Vec<Value> = visible
        .iter()
        .skip(offset)
        .take(limit)
        .map(|c| c.to_json(&workspace.bot_user_id))
        .collect();
    let next = offset + page.len();
    let next_cursor = if next < visible.len() {
        URL_SAFE_NO_PAD.encode(format!("offset:{next}"))
    } else {
        String::new()
    };
    ok(json!({"channels": page, "response_metadata": {"next_cursor": next_cursor}}))
}

pub fn info(inner: &mut Inner, workspace: &Workspace, params: &Params) -> Response {
    match channel(inner, workspace, params.get("channel")) {
        Some(c) => ok(json!({"channel": c.to_json(&workspace.bot_user_id)})),
        None => slack_error("channel_not_found"),
    }
}

pub fn join(inner: &mut Inner, workspace: &Workspace, params: &Params) -> Response {
    let Some(c) = channel(inner, workspace, params.get("channel")) else {
        return slack_error("channel_not_found");
    };
    if c.is_archived {
        return slack_error("is_archived");
    }
    if c.is_private {
        return slack_error("method_not_supported_for_channel_type");
    }
    let mut body = json!({});
    if c.members.contains(&workspace.bot_user_id) {
        body["warning"] = json!("already_in_channel");
    } else {
        c.members.push(workspace.bot_user_id.clone());
    }
    body["channel"] = c.to_json(&workspace.bot_user_id);
    ok(body)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;

    use super::*;
    use crate::{SimConfig, state::SimState};

    fn workspace() -> Workspace {
        Workspace {
            id: "T1".into(),
            name: "Big".into(),
            enterprise_id: None,
            enterprise_name: None,
            enterprise_install: false,
            token_rotation: false,
            bot_user_id: "U1".into(),
            bot_id: "B1".into(),
            app_id: "A1".into(),
        }
    }

    async fn page(state: &SimState, query: &str) -> Value {
        let params = Params::parse(&HeaderMap::new(), Some(query), b"");
        let response = state.with(|inner| list(inner, &workspace(), &params));
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    #[tokio::test]
    async fn twenty_thousand_channels_page_by_cursor_a_thousand_at_most() {
        let state = SimState::new(SimConfig::default());
        let channels: Vec<SimChannel> = (0..20_001)
            .map(|i| SimChannel {
                id: format!("C{i:08}"),
                name: format!("c-{i:05}"),
                is_private: false,
                // One archived channel, left out with exclude_archived.
                is_archived: i == 7,
                purpose: String::new(),
                members: vec![],
            })
            .collect();
        state.with(|inner| inner.channels.insert("T1".into(), channels));

        let mut listed = 0;
        let mut pages = 0;
        let mut cursor = String::new();
        loop {
            let answer = page(
                &state,
                &format!("exclude_archived=true&limit=5000&cursor={cursor}"),
            )
            .await;
            let count = answer["channels"].as_array().unwrap().len();
            assert!(count <= MAX_LIMIT, "a page holds at most 1000");
            listed += count;
            pages += 1;
            cursor = answer["response_metadata"]["next_cursor"]
                .as_str()
                .unwrap()
                .to_owned();
            if cursor.is_empty() {
                break;
            }
        }
        assert_eq!((listed, pages), (20_000, 20));
        assert_eq!(
            page(&state, "cursor=bogus").await["error"],
            "invalid_cursor"
        );
    }
}
