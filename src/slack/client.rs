use std::{
    future::Future,
    time::{Duration, Instant},
};

use reqwest::{RequestBuilder, Response, StatusCode, header::RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, de::DeserializeOwned};
use tracing::{Instrument, field::Empty};
use url::Url;

use super::SlackError;

/// Retry-After when Slack rate limits without saying for how long
/// (`message_limit_exceeded` on free workspaces).
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);

/// A Slack Web API client. Cheap to clone; one connection pool underneath.
#[derive(Clone)]
pub struct SlackClient {
    http: reqwest::Client,
    api_base: Url,
    timeout: Duration,
}

/// `auth.test`'s answer.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthTest {
    #[serde(default)]
    pub team_id: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub bot_id: String,
    #[serde(default)]
    pub enterprise_id: Option<String>,
    #[serde(default)]
    pub url: String,
}

impl SlackClient {
    pub fn new(api_base: Url, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            // Slack never redirects API calls; following one could leak the token.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("reqwest client with static settings");
        Self {
            http,
            api_base,
            timeout,
        }
    }

    /// The longest any one call may take, from start to answer.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn method_url(&self, method: &str) -> Url {
        let mut url = self.api_base.clone();
        url.path_segments_mut()
            .expect("http(s) base URL")
            .pop_if_empty()
            .push(method);
        url
    }

    /// `auth.test`: who the token belongs to (and whether it still works).
    pub async fn auth_test(&self, token: &SecretString) -> Result<AuthTest, SlackError> {
        self.call("auth.test", token, &[]).await
    }

    /// `auth.revoke`: invalidates the token.
    pub async fn auth_revoke(&self, token: &SecretString) -> Result<(), SlackError> {
        self.call::<serde_json::Value>("auth.revoke", token, &[])
            .await
            .map(|_| ())
    }

    /// Calls a Web API method with a form body and decodes the `ok: true` answer.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        token: &SecretString,
        form: &[(&str, &str)],
    ) -> Result<T, SlackError> {
        self.request(method, token, |request| request.form(form))
            .await
    }

    /// Calls a Web API method with the body `with_body` puts on the request (a form or
    /// JSON) and decodes the `ok: true` answer.
    pub(crate) async fn request<T: DeserializeOwned>(
        &self,
        method: &str,
        token: &SecretString,
        with_body: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<T, SlackError> {
        // Within an RPC, an answer after the caller's deadline is no use to anyone.
        let call = async {
            let request = self
                .http
                .post(self.method_url(method))
                .bearer_auth(token.expose_secret());
            let response = with_body(request)
                .send()
                .await
                .map_err(|e| SlackError::from_transport(&e))?;
            let response = check_status(response)?;
            response
                .json::<serde_json::Value>()
                .await
                .map_err(|e| SlackError::from_transport(&e))
        };
        let call = async {
            let body = crate::deadline::within(call)
                .await
                .unwrap_or(Err(SlackError::Timeout))?;
            decode_envelope(body)
        };
        traced(method, call).await
    }
}

/// Runs one Web API call in a `slack.call` span that records how it ended and how long it
/// took, so a trace shows which Slack method a slow request waited on.
pub(crate) async fn traced<T>(
    method: &str,
    call: impl Future<Output = Result<T, SlackError>>,
) -> Result<T, SlackError> {
    let span = tracing::info_span!(
        "slack.call",
        otel.kind = "client",
        slack.method = method,
        outcome = Empty,
        latency_ms = Empty,
        otel.status_code = Empty,
    );
    let started = Instant::now();
    let result = call.instrument(span.clone()).await;
    span.record("latency_ms", started.elapsed().as_millis() as u64);
    match &result {
        Ok(_) => span.record("outcome", "ok"),
        // The exact status, where the attempt log's label groups 5xx together.
        Err(SlackError::Http { status }) => span.record("outcome", format!("http_{status}")),
        Err(err) => span.record("outcome", err.label()),
    };
    if result.is_err() {
        span.record("otel.status_code", "ERROR");
    }
    result
}

/// `response_metadata` of a paged answer (`conversations.list`, `.history`, `.replies`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ResponseMetadata {
    #[serde(default)]
    next_cursor: String,
}

/// The cursor of the next page; `None` on the last page (Slack sends an empty cursor).
pub(crate) fn next_cursor(metadata: Option<ResponseMetadata>) -> Option<String> {
    metadata.map(|m| m.next_cursor).filter(|c| !c.is_empty())
}

/// Maps HTTP statuses other than 200 to errors: 429 with its Retry-After, the rest by code.
pub(crate) fn check_status(response: Response) -> Result<Response, SlackError> {
    match response.status() {
        StatusCode::OK => Ok(response),
        StatusCode::TOO_MANY_REQUESTS => Err(SlackError::RateLimited {
            retry_after: retry_after(&response),
        }),
        status => Err(SlackError::Http {
            status: status.as_u16(),
        }),
    }
}

fn retry_after(response: &Response) -> Duration {
    response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_RETRY_AFTER)
}

/// Slack answers `{"ok": false, "error": "<code>"}` with HTTP 200 on failure.
pub(crate) fn decode_envelope<T: DeserializeOwned>(
    body: serde_json::Value,
) -> Result<T, SlackError> {
    if body.get("ok").and_then(serde_json::Value::as_bool) != Some(true) {
        let code = body
            .get("error")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("unknown_error")
            .to_owned();
        return Err(SlackError::api(code));
    }
    serde_json::from_value(body).map_err(|e| SlackError::Protocol(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_urls_join_cleanly() {
        for base in ["http://sim:1/api", "http://sim:1/api/"] {
            let client = SlackClient::new(Url::parse(base).unwrap(), Duration::from_secs(1));
            assert_eq!(
                client.method_url("auth.test").as_str(),
                "http://sim:1/api/auth.test"
            );
        }
    }

    #[test]
    fn envelope_errors_carry_the_code() {
        let err =
            decode_envelope::<AuthTest>(serde_json::json!({"ok": false, "error": "invalid_auth"}))
                .unwrap_err();
        assert_eq!(err, SlackError::api("invalid_auth"));
        assert_eq!(err.failure(), crate::slack::SlackFailure::TokenRevoked);
        let ok: AuthTest =
            decode_envelope(serde_json::json!({"ok": true, "bot_id": "B1", "team_id": "T1"}))
                .unwrap();
        assert_eq!(ok.bot_id, "B1");
    }
}
