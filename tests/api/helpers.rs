//! The test harness: a real Postgres database per test, the Slack simulator on port 0, and
//! the real server on port 0, called through the generated tonic client.

use std::{collections::HashMap, net::SocketAddr, sync::Once, time::Duration};

use base64::Engine as _;
use prost::Message;
use secrecy::SecretString;
use serde_json::{Value, json};
use slack_sim::{RunningSim, SimConfig};
use sqlx::{Connection, PgConnection, PgPool, postgres::PgPoolOptions};
use switchboard::{
    config::{Config, LogFormat},
    proto::v1::{self, integration_service_client::IntegrationServiceClient},
    startup::Application,
    store::MIGRATOR,
};
use tokio::sync::oneshot;
use tonic::{Code, Request, Status, transport::Channel};
use tonic_types::{ErrorDetails, StatusExt};
use uuid::Uuid;

pub const API_KEY: &str = "test-service-key";
pub const JWT_SECRET: &str = "test-jwt-secret-that-is-long-enough-123";
pub const SIGNING_SECRET: &str = "test-signing-secret";
pub const REDIRECT_URI: &str = "https://app.example.test/slack/callback";
pub const ENCRYPTION_KEY: [u8; 32] = [42u8; 32];
/// The per-channel pace of tests, in the service and the simulator alike.
pub const TEST_PACE: Duration = Duration::from_millis(20);

fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            switchboard::telemetry::init("info,sqlx=warn", LogFormat::Human, None);
        }
    });
}

/// A fresh database with every migration applied.
pub async fn fresh_database() -> (PgPool, String) {
    let admin_url = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must name a Postgres server (run `make test`)");
    let name = format!("sbtest_{}", Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&admin_url)
        .await
        .expect("connect to Postgres");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let url = match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("DATABASE_URL has no database name"),
    };
    let pool = PgPoolOptions::new()
        .max_connections(40)
        .connect(&url)
        .await
        .expect("connect to test database");
    MIGRATOR.run(&pool).await.expect("migrations apply");
    (pool, url)
}

pub struct TestApp {
    pub client: IntegrationServiceClient<Channel>,
    pub channel: Channel,
    pub http_addr: SocketAddr,
    /// Where probes and metrics are, when the config moved them off the HTTP port.
    pub admin_addr: Option<SocketAddr>,
    pub sim: RunningSim,
    pub db: PgPool,
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The service's settings for a test, given as the environment they would come from (so
/// they go through the same parsing as in production): the servers on port 0, the
/// simulator as Slack, no background sweeps, and fast delivery pacing and retries.
pub fn test_config(db_url: &str, slack_api: &str, authorize_url: &str) -> Config {
    let sim = SimConfig::default();
    let key = base64::engine::general_purpose::STANDARD.encode(ENCRYPTION_KEY);
    let env: HashMap<&str, String> = [
        ("DATABASE_URL", db_url),
        ("SWITCHBOARD_DB_MAX_CONNECTIONS", "40"),
        ("SWITCHBOARD_GRPC_ADDR", "127.0.0.1:0"),
        ("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0"),
        ("SWITCHBOARD_API_KEYS", API_KEY),
        ("SWITCHBOARD_JWT_SECRET", JWT_SECRET),
        ("SWITCHBOARD_TOKEN_ENCRYPTION_KEY", &key),
        ("SLACK_CLIENT_ID", &sim.client_id),
        ("SLACK_CLIENT_SECRET", &sim.client_secret),
        ("SLACK_SIGNING_SECRET", SIGNING_SECRET),
        ("SLACK_REDIRECT_URI", REDIRECT_URI),
        ("SLACK_API_BASE_URL", slack_api),
        ("SLACK_AUTHORIZE_URL", authorize_url),
        ("SLACK_REQUEST_TIMEOUT_MS", "5000"),
        ("SWITCHBOARD_HEALTH_CHECK_INTERVAL_SECS", "0"),
        ("SWITCHBOARD_TOKEN_REFRESH_SWEEP_SECS", "0"),
        ("SWITCHBOARD_CHANNEL_DIRECTORY_REFRESH_SECS", "0"),
        (
            "SWITCHBOARD_CHANNEL_PACE_MS",
            &TEST_PACE.as_millis().to_string(),
        ),
        ("SWITCHBOARD_DELIVERY_RETRY_BASE_MS", "50"),
        // The simulator records a post before it answers: no lag to wait out.
        ("SWITCHBOARD_DELIVERY_SETTLE_GRACE_MS", "200"),
        // Test receivers listen on 127.0.0.1; retries come in milliseconds.
        ("SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE", "50ms,50ms,50ms"),
        ("SWITCHBOARD_WEBHOOK_TIMEOUT_MS", "2000"),
    ]
    .into_iter()
    .map(|(name, value)| (name, value.to_owned()))
    .collect();
    let mut config = Config::from_lookup(|name| env.get(name).cloned()).expect("test settings");
    // Not settings of their own: tests shorten them directly.
    config.delivery.retry_cap = Duration::from_millis(500);
    config.delivery.poll_interval = Duration::from_millis(200);
    config.webhooks.poll_interval = Duration::from_millis(200);
    config.retention.sweep_every = None;
    config
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with a config adjusted by `tweak` (e.g. another Slack URL).
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        init_logging();
        // Slack's pace, 50 times faster, so tests of pacing take seconds, not minutes.
        let sim_config = SimConfig {
            post_interval: TEST_PACE,
            post_burst: 4,
            ..SimConfig::default()
        };
        let sim = RunningSim::start("127.0.0.1:0".parse().unwrap(), sim_config)
            .await
            .expect("start slack-sim");
        let (db, url) = fresh_database().await;
        let mut config = test_config(&url, &sim.api_url(), &sim.authorize_url());
        tweak(&mut config);
        // The service gets its own pool, as in production; `db` is the test's view.
        let app = Application::build(config).await.expect("build app");
        let (grpc_addr, http_addr, admin_addr) =
            (app.grpc_addr(), app.http_addr(), app.admin_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        let channel = Channel::from_shared(format!("http://{grpc_addr}"))
            .unwrap()
            .connect()
            .await
            .expect("connect to server");
        Self {
            client: IntegrationServiceClient::new(channel.clone()),
            channel,
            http_addr,
            admin_addr,
            sim,
            db,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            stop: Some(stop),
        }
    }

    // ---- the simulated Slack ----

    pub async fn sim_post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.sim.base_url()))
            .json(&body)
            .send()
            .await
            .expect("sim control call");
        assert!(
            response.status().is_success(),
            "sim {path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    pub async fn sim_get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.sim.base_url()))
            .send()
            .await
            .expect("sim control call")
            .json()
            .await
            .expect("sim answers JSON")
    }

    /// A new simulated workspace; returns its id.
    pub async fn create_workspace(&self, name: &str) -> String {
        self.create_workspace_with(json!({ "name": name })).await
    }

    pub async fn create_workspace_with(&self, body: Value) -> String {
        let workspace = self.sim_post("/_sim/workspaces", body).await;
        workspace["id"].as_str().unwrap().to_owned()
    }

    pub async fn inject_fault(&self, fault: Value) {
        self.sim_post("/_sim/faults", fault).await;
    }

    /// Removes every injected fault.
    pub async fn clear_faults(&self) {
        let response = self
            .http
            .delete(format!("{}/_sim/faults", self.sim.base_url()))
            .send()
            .await
            .expect("sim control call");
        assert!(response.status().is_success());
    }

    /// Every token the simulator issued for the workspace, oldest first.
    pub async fn sim_tokens(&self, workspace_id: &str) -> Vec<String> {
        let tokens = self
            .sim_get(&format!("/_sim/workspaces/{workspace_id}/tokens"))
            .await;
        tokens
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["token"].as_str().unwrap().to_owned())
            .collect()
    }

    pub async fn sim_calls(&self, method: &str) -> Vec<Value> {
        self.sim_get(&format!("/_sim/calls?method={method}"))
            .await
            .as_array()
            .unwrap()
            .clone()
    }

    /// Follows the authorize URL as the installing user would (choosing `workspace_id`) and
    /// returns the code Slack redirects back with.
    pub async fn authorize(&self, authorize_url: &str, workspace_id: &str) -> String {
        let response = self
            .http
            .get(format!("{authorize_url}&team={workspace_id}"))
            .send()
            .await
            .expect("authorize");
        assert!(
            response.status().is_redirection(),
            "authorize: {}",
            response.status()
        );
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let location = url::Url::parse(&location).unwrap();
        assert!(location.as_str().starts_with(REDIRECT_URI));
        location
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("code in redirect")
    }

    // ---- calling the service ----

    pub fn client(&self) -> IntegrationServiceClient<Channel> {
        self.client.clone()
    }

    pub async fn start_oauth(&self, team_id: &str) -> v1::StartSlackOAuthResponse {
        self.client()
            .start_slack_o_auth(service(v1::StartSlackOAuthRequest {
                team_id: team_id.into(),
                ..Default::default()
            }))
            .await
            .expect("StartSlackOAuth")
            .into_inner()
    }

    pub async fn complete(&self, code: &str, state: &str) -> Result<v1::Integration, Status> {
        self.client()
            .complete_slack_o_auth(service(v1::CompleteSlackOAuthRequest {
                code: code.into(),
                state: state.into(),
            }))
            .await
            .map(|r| r.into_inner())
    }

    /// An install started and authorised in the simulator, not completed: (code, state).
    pub async fn authorized(&self, team_id: &str, workspace_id: &str) -> (String, String) {
        let started = self.start_oauth(team_id).await;
        let code = self.authorize(&started.authorize_url, workspace_id).await;
        (code, started.state)
    }

    /// The whole install: start, authorise in the simulator, complete.
    pub async fn install(
        &self,
        team_id: &str,
        workspace_id: &str,
    ) -> Result<v1::Integration, Status> {
        let (code, state) = self.authorized(team_id, workspace_id).await;
        self.complete(&code, &state).await
    }

    pub async fn get(&self, id: &str) -> Result<v1::Integration, Status> {
        self.client()
            .get_integration(service(v1::GetIntegrationRequest {
                integration_id: id.into(),
            }))
            .await
            .map(|r| r.into_inner())
    }

    /// Posts a Slack event as Slack would: signed, `age_secs` old.
    pub async fn post_event_signed_with(
        &self,
        body: &str,
        secret: &str,
        age_secs: i64,
    ) -> reqwest::Response {
        let timestamp = (chrono::Utc::now().timestamp() - age_secs).to_string();
        let signature =
            switchboard::slack::SignatureVerifier::new(SecretString::from(secret.to_owned()))
                .sign(&timestamp, body.as_bytes());
        self.http
            .post(format!("http://{}/slack/events", self.http_addr))
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", timestamp)
            .header("x-slack-signature", signature)
            .body(body.to_owned())
            .send()
            .await
            .expect("POST /slack/events")
    }

    pub async fn post_event(&self, body: &serde_json::Value) -> reqwest::Response {
        self.post_event_signed_with(&body.to_string(), SIGNING_SECRET, 0)
            .await
    }

    pub fn http_client(&self) -> &reqwest::Client {
        &self.http
    }

    pub async fn http_get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("http://{}{path}", self.http_addr))
            .send()
            .await
            .expect("HTTP call")
    }

    /// The access token stored for an integration, decrypted with the test key.
    pub async fn stored_access_token(&self, integration_id: &str) -> String {
        use aes_gcm::{
            Aes256Gcm, KeyInit, Nonce,
            aead::{Aead, Payload},
        };
        let (sealed, team, workspace): (Vec<u8>, String, String) = sqlx::query_as(
            "SELECT access_token_enc, team_id, workspace_id FROM integrations WHERE id = $1",
        )
        .bind(Uuid::parse_str(integration_id).unwrap())
        .fetch_one(&self.db)
        .await
        .unwrap();
        assert_eq!(sealed[0], 1, "format version");
        let cipher = Aes256Gcm::new(&ENCRYPTION_KEY.into());
        let plain = cipher
            .decrypt(
                Nonce::from_slice(&sealed[1..13]),
                Payload {
                    msg: &sealed[13..],
                    aad: format!("{team}\0{workspace}").as_bytes(),
                },
            )
            .expect("decrypts with the configured key");
        String::from_utf8(plain).unwrap()
    }
}

// ---- requests with credentials ----

pub fn with_bearer<T>(message: T, credential: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {credential}").parse().unwrap(),
    );
    request
}

/// A request made with the service key.
pub fn service<T>(message: T) -> Request<T> {
    with_bearer(message, API_KEY)
}

pub fn team_token(team_id: &str, expires_in_secs: i64) -> String {
    let exp = chrono::Utc::now().timestamp() + expires_in_secs;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "team_id": team_id, "exp": exp }),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

/// A request made with a valid team token.
pub fn as_team<T>(team_id: &str, message: T) -> Request<T> {
    with_bearer(message, &team_token(team_id, 3600))
}

// ---- error assertions ----

/// Asserts the code and ErrorInfo reason (domain "switchboard"); returns the details.
pub fn assert_error(status: &Status, code: Code, reason: &str) -> ErrorDetails {
    assert_eq!(status.code(), code, "{status:?}");
    let details = status.get_error_details();
    let info = details
        .error_info()
        .unwrap_or_else(|| panic!("no ErrorInfo in {status:?}"));
    assert_eq!(info.reason, reason, "{status:?}");
    assert_eq!(info.domain, "switchboard");
    details
}

/// The BadRequest field violations of an INVALID_ARGUMENT answer, by field.
pub fn field_violations(status: &Status) -> HashMap<String, String> {
    let details = assert_error(status, Code::InvalidArgument, "INVALID_ARGUMENT");
    details
        .bad_request()
        .expect("BadRequest detail")
        .field_violations
        .iter()
        .map(|v| (v.field.clone(), v.description.clone()))
        .collect()
}

/// The `switchboard.v1.ReconnectDetails` detail of an ALREADY_EXISTS answer.
pub fn reconnect_details(status: &Status) -> v1::ReconnectDetails {
    let rpc = tonic_types::pb::Status::decode(status.details()).expect("google.rpc.Status");
    let any = rpc
        .details
        .iter()
        .find(|a| a.type_url == "type.googleapis.com/switchboard.v1.ReconnectDetails")
        .expect("ReconnectDetails detail");
    v1::ReconnectDetails::decode(any.value.as_slice()).unwrap()
}

pub fn base64_key() -> String {
    base64::engine::general_purpose::STANDARD.encode(ENCRYPTION_KEY)
}

/// Polls `ready` every 50 ms until it holds; `within` only catches a hang.
pub async fn wait_for(what: &str, within: Duration, mut ready: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + within;
    while !ready().await {
        assert!(
            std::time::Instant::now() < deadline,
            "waited {within:?} for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `wait_for` with a 10 s bound.
pub async fn wait_until(ready: impl AsyncFnMut() -> bool) {
    wait_for("a condition", Duration::from_secs(10), ready).await;
}
