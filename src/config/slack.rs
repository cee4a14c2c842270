//! The `slack` section: the app's credentials, scopes and Slack's addresses.

use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::{ConfigError, Env, invalid};

pub const DEFAULT_SCOPES: &str = "chat:write,channels:read,channels:join,channels:history";

#[derive(Debug, Clone)]
pub struct SlackConfig {
    pub client_id: String,
    pub client_secret: SecretString,
    pub signing_secret: Option<SecretString>,
    pub redirect_uri: Url,
    pub scopes: Vec<String>,
    pub api_base_url: Url,
    pub authorize_url: Url,
    /// Per-request timeout for calls to Slack.
    pub request_timeout: Duration,
}

impl SlackConfig {
    pub(super) fn parse(env: &Env<'_>) -> Result<Self, ConfigError> {
        let scopes: Vec<String> = env
            .optional("SLACK_SCOPES")
            .unwrap_or_else(|| DEFAULT_SCOPES.to_owned())
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if scopes.is_empty() {
            return Err(invalid("SLACK_SCOPES", "must name at least one scope"));
        }
        Ok(Self {
            client_id: env.required("SLACK_CLIENT_ID")?,
            client_secret: env.required("SLACK_CLIENT_SECRET")?.into(),
            signing_secret: env.optional("SLACK_SIGNING_SECRET").map(SecretString::from),
            redirect_uri: env.url("SLACK_REDIRECT_URI", None)?,
            scopes,
            api_base_url: env.url("SLACK_API_BASE_URL", Some("https://slack.com/api"))?,
            authorize_url: env.url(
                "SLACK_AUTHORIZE_URL",
                Some("https://slack.com/oauth/v2/authorize"),
            )?,
            request_timeout: Duration::from_millis(env.parsed(
                "SLACK_REQUEST_TIMEOUT_MS",
                10_000u64,
                "milliseconds",
            )?),
        })
    }
}
