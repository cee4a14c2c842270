//! Slack takes arguments as a form or as JSON; both become one string map here.

use std::collections::HashMap;

use axum::http::{HeaderMap, header::CONTENT_TYPE};

pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Self {
        let mut map = HashMap::new();
        if let Some(query) = query {
            map.extend(url::form_urlencoded::parse(query.as_bytes()).into_owned());
        }
        let is_json = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if is_json {
            if let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(body) {
                for (k, v) in fields {
                    let v = match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    map.insert(k, v);
                }
            }
        } else {
            map.extend(url::form_urlencoded::parse(body).into_owned());
        }
        Self(map)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}
