//! Settings, read from the environment here and nowhere else, in sections (database,
//! http, auth, slack, delivery, telemetry), each parsed by its own function. A missing or
//! malformed setting stops start-up with one line naming it. This module is a leaf: the
//! layers that use a setting take it from here.

mod auth;
mod database;
mod delivery;
mod events;
mod http;
mod retention;
pub mod settings;
mod slack;
mod telemetry;
mod webhooks;

use std::time::Duration;

use url::Url;

pub use auth::{AuthConfig, EncryptionKey, TokenKeys};
pub use database::DatabaseConfig;
pub use delivery::{DeliveryConfig, Pace};
pub use events::EventsConfig;
pub use http::{HttpConfig, HttpLimits};
pub use retention::RetentionConfig;
pub use slack::{DEFAULT_SCOPES, SlackConfig};
pub use telemetry::{LogFormat, TelemetryConfig, log_filter, log_format};
pub use webhooks::{DEFAULT_RETRY_SCHEDULE, WebhookConfig, parse_schedule};

#[derive(Debug, thiserror::Error)]
#[error("setting {name} {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

fn missing(name: &'static str) -> ConfigError {
    ConfigError {
        name,
        problem: "is required but not set".into(),
    }
}

fn invalid(name: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        problem: problem.into(),
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub http: HttpConfig,
    pub auth: AuthConfig,
    /// The key that seals tokens: the first of `token_keys`.
    pub token_encryption_key: EncryptionKey,
    pub token_keys: TokenKeys,
    pub slack: SlackConfig,
    pub delivery: DeliveryConfig,
    pub telemetry: TelemetryConfig,
    pub events: EventsConfig,
    pub webhooks: WebhookConfig,
    pub retention: RetentionConfig,
    /// How often integrations are health-checked in the background; `None` for never.
    pub health_check_interval: Option<Duration>,
    /// How often rotating tokens due within 2 hours are refreshed; `None` for never.
    pub token_refresh_interval: Option<Duration>,
    /// How long a workspace's channel listing stands before the background lists it again;
    /// `None`: no background listing (ListChannels still lists a workspace it finds
    /// unlisted, and events keep the listing current).
    pub channel_directory_refresh: Option<Duration>,
}

/// The default of `SWITCHBOARD_CHANNEL_DIRECTORY_REFRESH_SECS`.
pub const DEFAULT_CHANNEL_DIRECTORY_REFRESH: Duration = Duration::from_secs(600);

/// Reads settings through a lookup, so tests can supply their own environment.
struct Env<'a>(Box<Lookup<'a>>);

/// A setting's raw value by name.
type Lookup<'a> = dyn Fn(&str) -> Option<String> + 'a;

impl<'a> Env<'a> {
    fn new(lookup: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Self(Box::new(lookup))
    }

    /// The process environment.
    fn process() -> Self {
        Self::new(|k| std::env::var(k).ok())
    }

    fn optional(&self, name: &'static str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or_else(|| missing(name))
    }

    fn parsed<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
        what: &str,
    ) -> Result<T, ConfigError> {
        match self.optional(name) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|_| invalid(name, format!("must be {what}, got {raw:?}"))),
        }
    }

    /// A positive number of milliseconds.
    fn millis(&self, name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
        let ms = self.parsed(name, default.as_millis() as u64, "milliseconds")?;
        if ms == 0 {
            return Err(invalid(name, "must be at least 1"));
        }
        Ok(Duration::from_millis(ms))
    }

    /// Seconds, where 0 means never.
    fn every(&self, name: &'static str, default: u64) -> Result<Option<Duration>, ConfigError> {
        Ok(match self.parsed(name, default, "seconds")? {
            0 => None,
            secs => Some(Duration::from_secs(secs)),
        })
    }

    fn url(&self, name: &'static str, default: Option<&str>) -> Result<Url, ConfigError> {
        let raw = match (self.optional(name), default) {
            (Some(raw), _) => raw,
            (None, Some(default)) => default.to_owned(),
            (None, None) => return Err(missing(name)),
        };
        let url = Url::parse(raw.trim())
            .map_err(|e| invalid(name, format!("is not a valid URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(name, "must be an http or https URL"));
        }
        Ok(url)
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::parse(&Env::process())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::parse(&Env::new(lookup))
    }

    fn parse(env: &Env<'_>) -> Result<Self, ConfigError> {
        let database = DatabaseConfig::parse(env)?;
        let http = HttpConfig::parse(env)?;
        let auth = AuthConfig::parse(env)?;
        let token_keys = TokenKeys::parse(env)?;
        let slack = SlackConfig::parse(env)?;
        let telemetry = TelemetryConfig::parse(env)?;
        let delivery = DeliveryConfig::parse(env, slack.request_timeout)?;
        Ok(Self {
            database,
            http,
            auth,
            token_encryption_key: token_keys.primary().clone(),
            token_keys,
            slack,
            delivery,
            telemetry,
            events: EventsConfig::parse(env)?,
            webhooks: WebhookConfig::parse(env)?,
            retention: RetentionConfig::parse(env)?,
            health_check_interval: env.every("SWITCHBOARD_HEALTH_CHECK_INTERVAL_SECS", 900)?,
            token_refresh_interval: env.every("SWITCHBOARD_TOKEN_REFRESH_SWEEP_SECS", 60)?,
            channel_directory_refresh: env.every(
                "SWITCHBOARD_CHANNEL_DIRECTORY_REFRESH_SECS",
                DEFAULT_CHANNEL_DIRECTORY_REFRESH.as_secs(),
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use base64::Engine as _;

    use super::*;

    /// The required settings, for tests here and in settings.rs.
    pub(super) fn base() -> HashMap<&'static str, String> {
        HashMap::from([
            ("DATABASE_URL", "postgres://localhost/db".to_owned()),
            ("SWITCHBOARD_API_KEYS", "k1, k2".to_owned()),
            (
                "SWITCHBOARD_TOKEN_ENCRYPTION_KEY",
                base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
            ),
            ("SLACK_CLIENT_ID", "123.456".to_owned()),
            ("SLACK_CLIENT_SECRET", "secret".to_owned()),
            (
                "SLACK_REDIRECT_URI",
                "https://app.example/slack/callback".to_owned(),
            ),
        ])
    }

    fn load(env: &HashMap<&'static str, String>) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| env.get(k).cloned())
    }

    #[test]
    fn defaults_apply() {
        let config = load(&base()).unwrap();
        assert_eq!(config.http.grpc_addr.port(), 50051);
        assert_eq!(config.http.http_addr.port(), 8080);
        assert_eq!(config.http.admin_addr, None);
        assert_eq!(config.http.limits, HttpLimits::default());
        assert_eq!(config.slack.scopes.len(), 4);
        assert_eq!(config.slack.api_base_url.as_str(), "https://slack.com/api");
        assert_eq!(
            config.channel_directory_refresh,
            Some(DEFAULT_CHANNEL_DIRECTORY_REFRESH)
        );
        match config.auth {
            AuthConfig::Enabled { api_keys, .. } => assert_eq!(api_keys.len(), 2),
            AuthConfig::Disabled => panic!("auth must default to enabled"),
        }
    }

    #[test]
    fn each_bad_setting_is_named() {
        let cases = [
            ("DATABASE_URL", "mysql://x"),
            ("SWITCHBOARD_TOKEN_ENCRYPTION_KEY", "c2hvcnQ="),
            ("SWITCHBOARD_GRPC_ADDR", "nope"),
            ("SLACK_REDIRECT_URI", "not a url"),
            ("SWITCHBOARD_AUTH", "maybe"),
            ("SWITCHBOARD_JWT_SECRET", "too-short"),
            ("SWITCHBOARD_ADMIN_ADDR", "localhost"),
            ("SWITCHBOARD_HTTP_MAX_CONNECTIONS", "many"),
            ("SWITCHBOARD_HTTP_TIMEOUT_MS", "0"),
            ("SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE", "5 minutes"),
            ("SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE", "yes"),
            ("SWITCHBOARD_CHANNEL_DIRECTORY_REFRESH_SECS", "10 minutes"),
        ];
        for (name, value) in cases {
            let mut env = base();
            env.insert(name, value.to_owned());
            let err = load(&env).unwrap_err();
            assert_eq!(err.name, name, "{err}");
            assert!(!err.to_string().contains('\n'));
        }
        let mut env = base();
        env.remove("SLACK_CLIENT_ID");
        assert_eq!(load(&env).unwrap_err().name, "SLACK_CLIENT_ID");
    }

    #[test]
    fn a_lease_shorter_than_two_slack_timeouts_is_refused_naming_both() {
        let mut env = base();
        env.insert("SLACK_REQUEST_TIMEOUT_MS", "10000".to_owned());
        env.insert("SWITCHBOARD_DELIVERY_LEASE_MS", "15000".to_owned());
        let err = load(&env).unwrap_err();
        assert_eq!(err.name, "SWITCHBOARD_DELIVERY_LEASE_MS");
        let line = err.to_string();
        assert!(line.contains("SLACK_REQUEST_TIMEOUT_MS"), "{line}");
        assert!(
            line.contains("15000 ms") && line.contains("10000 ms"),
            "{line}"
        );
        env.insert("SWITCHBOARD_DELIVERY_LEASE_MS", "20000".to_owned());
        assert_eq!(load(&env).unwrap().delivery.lease.as_millis(), 20000);
    }

    fn b64(byte: u8, len: usize) -> String {
        base64::engine::general_purpose::STANDARD.encode(vec![byte; len])
    }

    #[test]
    fn the_single_key_is_k0_and_seals_as_before() {
        let keys = load(&base()).unwrap().token_keys;
        assert!(keys.legacy);
        assert_eq!(keys.keys.len(), 1);
        assert_eq!(keys.keys[0].0, "k0");
        assert_eq!(keys.primary().0, [7u8; 32]);
    }

    #[test]
    fn a_key_list_puts_the_sealing_key_first() {
        let mut env = base();
        env.remove("SWITCHBOARD_TOKEN_ENCRYPTION_KEY");
        env.insert(
            "SWITCHBOARD_TOKEN_ENCRYPTION_KEYS",
            format!(" k2:{} , k0:{}", b64(2, 32), b64(7, 32)),
        );
        let config = load(&env).unwrap();
        let ids: Vec<&str> = config
            .token_keys
            .keys
            .iter()
            .map(|(id, _)| id.as_str())
            .collect();
        assert_eq!(ids, ["k2", "k0"]);
        assert!(!config.token_keys.legacy);
        assert_eq!(config.token_encryption_key.0, [2u8; 32]);
        assert!(!format!("{config:?}").contains(&b64(2, 32)));
    }

    #[test]
    fn bad_key_lists_are_refused_with_one_clear_line() {
        let cases = [
            (
                format!("k1:{}", b64(1, 16)),
                "k1\" must be base64 of 32 bytes",
            ),
            (
                format!("k1:{},k1:{}", b64(1, 32), b64(2, 32)),
                "names key id \"k1\" twice",
            ),
            (b64(1, 32), "entry 1 must be id:base64"),
            (
                format!("k1:{},:{}", b64(1, 32), b64(2, 32)),
                "entry 2: a key id",
            ),
            (format!("k 1:{}", b64(1, 32)), "entry 1: a key id"),
            (format!("k1:{},", b64(1, 32)), "entry 2 must be id:base64"),
        ];
        for (value, expected) in cases {
            let mut env = base();
            env.remove("SWITCHBOARD_TOKEN_ENCRYPTION_KEY");
            env.insert("SWITCHBOARD_TOKEN_ENCRYPTION_KEYS", value.clone());
            let err = load(&env).unwrap_err();
            assert_eq!(err.name, "SWITCHBOARD_TOKEN_ENCRYPTION_KEYS", "{value}");
            let line = err.to_string();
            assert!(line.contains(expected), "{value}: {line}");
            assert!(
                !line.contains(&b64(1, 32)) && !line.contains('\n'),
                "{line}"
            );
        }
        let mut both = base();
        both.insert(
            "SWITCHBOARD_TOKEN_ENCRYPTION_KEYS",
            format!("k1:{}", b64(1, 32)),
        );
        let err = load(&both).unwrap_err();
        assert_eq!(err.name, "SWITCHBOARD_TOKEN_ENCRYPTION_KEYS");
        assert!(err.to_string().contains("cannot be combined"), "{err}");
    }

    #[test]
    fn secrets_do_not_print() {
        let config = load(&base()).unwrap();
        let printed = format!("{config:?}");
        assert!(!printed.contains("secret\""), "{printed}");
        assert!(!printed.contains("k1"), "{printed}");
    }
}
