//! OAuth v2 with Slack through the `oauth2` crate. Slack bends the standard in two ways,
//! handled here: errors come as HTTP 200 `{"ok": false, "error": ...}` (which `oauth2`
//! reports as a parse failure carrying the body), and the answer carries the workspace and
//! bot in extra fields.

use std::time::Duration;

use oauth2::{
    AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, HttpRequest, HttpResponse, RedirectUrl, RequestTokenError,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
    basic::{
        BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
        BasicTokenType,
    },
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use super::{
    SlackClient, SlackError,
    client::{check_status, decode_envelope, traced},
};
use crate::{config::SlackConfig, domain::Installation};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct NamedId {
    id: String,
    #[serde(default)]
    name: Option<String>,
}

/// The non-standard fields of `oauth.v2.access`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SlackTokenExtras {
    #[serde(default)]
    bot_user_id: Option<String>,
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    team: Option<NamedId>,
    #[serde(default)]
    enterprise: Option<NamedId>,
    #[serde(default)]
    is_enterprise_install: bool,
}

impl ExtraTokenFields for SlackTokenExtras {}

type SlackTokenResponse = StandardTokenResponse<SlackTokenExtras, BasicTokenType>;
type OAuthClient = Client<
    BasicErrorResponse,
    SlackTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// What an install (or a token refresh) gave us.
pub struct OAuthGrant {
    /// Everything but `bot_id`, which only `auth.test` tells.
    pub installation: Installation,
    pub access_token: SecretString,
    /// Present when the app has token rotation on.
    pub refresh_token: Option<SecretString>,
    pub expires_in: Option<Duration>,
}

#[derive(Clone)]
pub struct SlackOAuth {
    client: OAuthClient,
    slack: SlackClient,
    scopes: String,
    client_id: String,
    client_secret: SecretString,
}

impl SlackOAuth {
    pub fn new(config: &SlackConfig, slack: SlackClient) -> Self {
        let token_url = TokenUrl::from_url(slack.method_url("oauth.v2.access"));
        let client = Client::new(ClientId::new(config.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                config.client_secret.expose_secret().to_owned(),
            ))
            .set_auth_uri(AuthUrl::from_url(config.authorize_url.clone()))
            .set_token_uri(token_url)
            .set_redirect_uri(RedirectUrl::from_url(config.redirect_uri.clone()));
        Self {
            client,
            slack,
            scopes: config.scopes.join(","),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
        }
    }

    /// The URL to send the installing user to. Slack wants scopes comma-separated.
    pub fn authorize_url(&self, state: &str) -> Url {
        let state = state.to_owned();
        let (url, _) = self
            .client
            .authorize_url(move || CsrfToken::new(state))
            .add_extra_param("scope", &self.scopes)
            .url();
        url
    }

    /// `oauth.v2.access` with an authorization code.
    pub async fn exchange_code(&self, code: &str) -> Result<OAuthGrant, SlackError> {
        let http = self.slack.http().clone();
        let exchange = async {
            let response = self
                .client
                .exchange_code(AuthorizationCode::new(code.to_owned()))
                .request_async(&move |request| send(http.clone(), request))
                .await
                .map_err(from_oauth_error)?;
            grant_from(response)
        };
        traced("oauth.v2.access", exchange).await
    }
}

/// What a token refresh must carry to be of use. Slack's answer has the install's shape,
/// but the team, bot and scopes are known already: a field missing there must not throw
/// away tokens Slack has already issued (and for which it spent the refresh token).
#[derive(Deserialize)]
struct RefreshAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// The tokens a refresh gave; `None` where the answer left something out.
pub struct RefreshedTokens {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub expires_in: Option<Duration>,
}

impl SlackOAuth {
    /// `oauth.v2.access` with `grant_type=refresh_token`: new (rotated) tokens. The
    /// refresh token is single use at Slack, so callers must make this single-flight.
    pub async fn refresh(
        &self,
        refresh_token: &SecretString,
    ) -> Result<RefreshedTokens, SlackError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
        ];
        let call = async {
            let response = self
                .slack
                .http()
                .post(self.slack.method_url("oauth.v2.access"))
                .form(&form)
                .send()
                .await
                .map_err(|e| SlackError::from_transport(&e))?;
            let body: serde_json::Value = check_status(response)?
                .json()
                .await
                .map_err(|e| SlackError::from_transport(&e))?;
            decode_envelope::<RefreshAnswer>(body)
        };
        let answer = traced("oauth.v2.access", call).await?;
        Ok(RefreshedTokens {
            access_token: SecretString::from(answer.access_token),
            refresh_token: answer.refresh_token.map(SecretString::from),
            expires_in: answer.expires_in.map(Duration::from_secs),
        })
    }
}

/// The HTTP client `oauth2` calls: transport failures, 429 and 5xx become `SlackError`s
/// here, where status and headers are still at hand.
async fn send(http: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, SlackError> {
    let request =
        reqwest::Request::try_from(request).map_err(|e| SlackError::Protocol(e.to_string()))?;
    let response = http
        .execute(request)
        .await
        .map_err(|e| SlackError::from_transport(&e))?;
    let response = check_status(response)?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| SlackError::from_transport(&e))?;
    let mut out = HttpResponse::new(body.to_vec());
    *out.status_mut() = status;
    *out.headers_mut() = headers;
    Ok(out)
}

fn from_oauth_error(err: RequestTokenError<SlackError, BasicErrorResponse>) -> SlackError {
    match err {
        RequestTokenError::Request(e) => e,
        // Slack's `ok: false` answers arrive as HTTP 200 that is not a token response.
        RequestTokenError::Parse(parse_error, body) => {
            match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(json) => match decode_envelope::<serde_json::Value>(json) {
                    Err(e) => e,
                    Ok(_) => SlackError::Protocol(parse_error.to_string()),
                },
                Err(_) => SlackError::Protocol(parse_error.to_string()),
            }
        }
        RequestTokenError::ServerResponse(e) => SlackError::api(e.error().as_ref()),
        RequestTokenError::Other(message) => SlackError::Protocol(message),
    }
}

fn grant_from(response: SlackTokenResponse) -> Result<OAuthGrant, SlackError> {
    let extras = response.extra_fields();
    let missing = |what: &str| SlackError::Protocol(format!("oauth.v2.access without {what}"));
    // An org-wide Enterprise Grid install has no team: it is keyed on the enterprise.
    let (workspace_id, workspace_name) = match (&extras.team, &extras.enterprise) {
        (_, Some(enterprise)) if extras.is_enterprise_install => {
            (enterprise.id.clone(), enterprise.name.clone())
        }
        (Some(team), _) => (team.id.clone(), team.name.clone()),
        (None, _) => return Err(missing("team")),
    };
    let scopes = response
        .scopes()
        .map(|scopes| {
            scopes
                .iter()
                .flat_map(|s| s.split(','))
                .map(str::to_owned)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Ok(OAuthGrant {
        installation: Installation {
            workspace_id,
            workspace_name: workspace_name.unwrap_or_default(),
            enterprise_id: extras.enterprise.as_ref().map(|e| e.id.clone()),
            enterprise_name: extras.enterprise.as_ref().and_then(|e| e.name.clone()),
            is_enterprise_install: extras.is_enterprise_install,
            bot_user_id: extras
                .bot_user_id
                .clone()
                .ok_or_else(|| missing("bot_user_id"))?,
            bot_id: String::new(),
            app_id: extras.app_id.clone().unwrap_or_default(),
            scopes,
        },
        access_token: SecretString::from(response.access_token().secret().to_owned()),
        refresh_token: response
            .refresh_token()
            .map(|t| SecretString::from(t.secret().to_owned())),
        expires_in: response.expires_in(),
    })
}
