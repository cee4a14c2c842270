//! Settings, read from the environment here and nowhere else. A missing or malformed
//! setting stops start-up with one line naming it.

use std::{net::SocketAddr, time::Duration};

use base64::Engine as _;
use secrecy::SecretString;
use url::Url;

use crate::{delivery::DeliveryConfig, http::HttpLimits, store::Pace};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

/// The 32-byte AES-256-GCM key for tokens at rest. Not `Debug`-printable.
#[derive(Clone)]
pub struct EncryptionKey(pub [u8; 32]);

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey([redacted])")
    }
}

impl EncryptionKey {
    pub fn from_base64(raw: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .ok()?;
        Some(Self(bytes.try_into().ok()?))
    }
}

#[derive(Debug, Clone)]
pub enum AuthConfig {
    /// Local development only: every call is treated as a service key.
    Disabled,
    Enabled {
        api_keys: Vec<SecretString>,
        jwt_secret: Option<SecretString>,
    },
}

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

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: SecretString,
    pub max_connections: u32,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    /// When set, probes and metrics are served here instead of on `http_addr`.
    pub admin_addr: Option<SocketAddr>,
    pub http_limits: HttpLimits,
    pub auth: AuthConfig,
    pub token_encryption_key: EncryptionKey,
    pub slack: SlackConfig,
    pub otlp_endpoint: Option<String>,
    pub log_format: LogFormat,
    /// Upper bound on any one RPC (also the longest `wait_for_delivery`).
    pub request_timeout: Duration,
    pub delivery: DeliveryConfig,
    /// How often integrations are health-checked in the background; `None` for never.
    pub health_check_interval: Option<Duration>,
    /// How often rotating tokens due within 2 hours are refreshed; `None` for never.
    pub token_refresh_interval: Option<Duration>,
    /// How long events stay in the log (`SWITCHBOARD_EVENT_RETENTION_DAYS`, default 30).
    pub event_retention: Duration,
}

/// The log filter (`RUST_LOG`), read here like every other setting.
pub fn log_filter() -> String {
    std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "info,sqlx=warn,h2=warn,tower=warn".to_owned())
}

/// `OTEL_EXPORTER_OTLP_ENDPOINT`: where traces go, when set.
pub fn otlp_endpoint() -> Option<String> {
    std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// `SWITCHBOARD_LOG_FORMAT` alone, for commands that need no other setting.
pub fn log_format() -> LogFormat {
    match std::env::var("SWITCHBOARD_LOG_FORMAT").as_deref() {
        Ok("json") => LogFormat::Json,
        _ => LogFormat::Human,
    }
}

pub const DEFAULT_SCOPES: &str = "chat:write,channels:read,channels:join,channels:history";

/// Reads settings through `lookup`, so tests can supply their own environment.
struct Env<F: Fn(&str) -> Option<String>>(F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
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

impl DatabaseConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&Env(|k| std::env::var(k).ok()))
    }

    fn from_lookup<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let url = env.required("DATABASE_URL")?;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(invalid("DATABASE_URL", "must be a postgres:// URL"));
        }
        let max_connections =
            env.parsed("SWITCHBOARD_DB_MAX_CONNECTIONS", 20u32, "a whole number")?;
        if max_connections == 0 {
            return Err(invalid(
                "SWITCHBOARD_DB_MAX_CONNECTIONS",
                "must be at least 1",
            ));
        }
        Ok(Self {
            url: url.into(),
            max_connections,
        })
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(lookup);
        let database = DatabaseConfig::from_lookup(&env)?;
        let grpc_addr = env.parsed(
            "SWITCHBOARD_GRPC_ADDR",
            SocketAddr::from(([0, 0, 0, 0], 50051)),
            "host:port",
        )?;
        let http_addr = env.parsed(
            "SWITCHBOARD_HTTP_ADDR",
            SocketAddr::from(([0, 0, 0, 0], 8080)),
            "host:port",
        )?;
        let admin_addr = match env.optional("SWITCHBOARD_ADMIN_ADDR") {
            None => None,
            Some(_) => Some(env.parsed("SWITCHBOARD_ADMIN_ADDR", http_addr, "host:port")?),
        };

        let auth = match env.optional("SWITCHBOARD_AUTH").as_deref() {
            Some("disabled") => AuthConfig::Disabled,
            None | Some("enabled") => {
                let api_keys: Vec<SecretString> = env
                    .optional("SWITCHBOARD_API_KEYS")
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(|k| SecretString::from(k.to_owned()))
                    .collect();
                let jwt_secret = env.optional("SWITCHBOARD_JWT_SECRET");
                if let Some(secret) = &jwt_secret
                    && secret.len() < 32
                {
                    return Err(invalid(
                        "SWITCHBOARD_JWT_SECRET",
                        "must be at least 32 characters",
                    ));
                }
                if api_keys.is_empty() && jwt_secret.is_none() {
                    return Err(invalid(
                        "SWITCHBOARD_API_KEYS",
                        "(or SWITCHBOARD_JWT_SECRET) is required unless SWITCHBOARD_AUTH=disabled",
                    ));
                }
                AuthConfig::Enabled {
                    api_keys,
                    jwt_secret: jwt_secret.map(SecretString::from),
                }
            }
            Some(other) => {
                return Err(invalid(
                    "SWITCHBOARD_AUTH",
                    format!("must be \"enabled\" or \"disabled\", got {other:?}"),
                ));
            }
        };

        let token_encryption_key =
            EncryptionKey::from_base64(&env.required("SWITCHBOARD_TOKEN_ENCRYPTION_KEY")?)
                .ok_or_else(|| {
                    invalid(
                        "SWITCHBOARD_TOKEN_ENCRYPTION_KEY",
                        "must be base64 of 32 bytes",
                    )
                })?;

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
        let slack = SlackConfig {
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
        };

        let log_format = match env.optional("SWITCHBOARD_LOG_FORMAT").as_deref() {
            None | Some("human") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    "SWITCHBOARD_LOG_FORMAT",
                    format!("must be \"human\" or \"json\", got {other:?}"),
                ));
            }
        };
        let request_timeout = Duration::from_secs(env.parsed(
            "SWITCHBOARD_REQUEST_TIMEOUT_SECS",
            30u64,
            "seconds",
        )?);

        let defaults = DeliveryConfig::default();
        let millis = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            let ms = env.parsed(name, default.as_millis() as u64, "milliseconds")?;
            if ms == 0 {
                return Err(invalid(name, "must be at least 1"));
            }
            Ok(Duration::from_millis(ms))
        };
        let http_limits = HttpLimits {
            max_connections: env
                .parsed(
                    "SWITCHBOARD_HTTP_MAX_CONNECTIONS",
                    HttpLimits::default().max_connections,
                    "a whole number",
                )?
                .max(1),
            timeout: millis("SWITCHBOARD_HTTP_TIMEOUT_MS", HttpLimits::default().timeout)?,
        };
        let workspace_cap = match env.optional("SWITCHBOARD_WORKSPACE_PACE_MS") {
            None => None,
            Some(_) => Some((
                millis("SWITCHBOARD_WORKSPACE_PACE_MS", Duration::from_secs(1))?,
                env.parsed("SWITCHBOARD_WORKSPACE_BURST", 10u32, "a whole number")?,
            )),
        };
        let delivery = DeliveryConfig {
            enabled: env.parsed("SWITCHBOARD_DELIVERY_WORKERS", true, "true or false")?,
            pace: Pace {
                channel_interval: millis(
                    "SWITCHBOARD_CHANNEL_PACE_MS",
                    defaults.pace.channel_interval,
                )?,
                channel_burst: env
                    .parsed(
                        "SWITCHBOARD_CHANNEL_BURST",
                        defaults.pace.channel_burst,
                        "a whole number",
                    )?
                    .max(1),
                workspace: workspace_cap,
            },
            max_in_flight: env
                .parsed(
                    "SWITCHBOARD_DELIVERY_IN_FLIGHT",
                    defaults.max_in_flight,
                    "a whole number",
                )?
                .max(1),
            max_attempts: env
                .parsed(
                    "SWITCHBOARD_DELIVERY_MAX_ATTEMPTS",
                    defaults.max_attempts,
                    "a whole number",
                )?
                .max(1),
            retry_base: millis("SWITCHBOARD_DELIVERY_RETRY_BASE_MS", defaults.retry_base)?,
            lease: millis("SWITCHBOARD_DELIVERY_LEASE_MS", defaults.lease)?,
            settle_grace: millis(
                "SWITCHBOARD_DELIVERY_SETTLE_GRACE_MS",
                defaults.settle_grace,
            )?,
            ..defaults
        };
        // An attempt calls Slack only while its lease outlasts the call's timeout, and the
        // heartbeat renews it a few times per period: a lease much shorter than that
        // would stall delivery.
        if delivery.lease < slack.request_timeout * 2 {
            return Err(invalid(
                "SWITCHBOARD_DELIVERY_LEASE_MS",
                format!(
                    "({} ms) must be at least twice SLACK_REQUEST_TIMEOUT_MS ({} ms)",
                    delivery.lease.as_millis(),
                    slack.request_timeout.as_millis()
                ),
            ));
        }

        let health_check_interval =
            match env.parsed("SWITCHBOARD_HEALTH_CHECK_INTERVAL_SECS", 900u64, "seconds")? {
                0 => None,
                secs => Some(Duration::from_secs(secs)),
            };

        let token_refresh_interval =
            match env.parsed("SWITCHBOARD_TOKEN_REFRESH_SWEEP_SECS", 60u64, "seconds")? {
                0 => None,
                secs => Some(Duration::from_secs(secs)),
            };

        let event_retention = match env.parsed(
            "SWITCHBOARD_EVENT_RETENTION_DAYS",
            30u64,
            "a whole number of days",
        )? {
            0 => {
                return Err(invalid(
                    "SWITCHBOARD_EVENT_RETENTION_DAYS",
                    "must be at least 1",
                ));
            }
            days => Duration::from_secs(days * 24 * 3600),
        };

        Ok(Self {
            event_retention,
            token_refresh_interval,
            health_check_interval,
            delivery,
            database,
            grpc_addr,
            http_addr,
            admin_addr,
            http_limits,
            auth,
            token_encryption_key,
            slack,
            otlp_endpoint: env.optional("OTEL_EXPORTER_OTLP_ENDPOINT"),
            log_format,
            request_timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn base() -> HashMap<&'static str, String> {
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
        assert_eq!(config.grpc_addr.port(), 50051);
        assert_eq!(config.http_addr.port(), 8080);
        assert_eq!(config.admin_addr, None);
        assert_eq!(config.http_limits, HttpLimits::default());
        assert_eq!(config.slack.scopes.len(), 4);
        assert_eq!(config.slack.api_base_url.as_str(), "https://slack.com/api");
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

    #[test]
    fn secrets_do_not_print() {
        let config = load(&base()).unwrap();
        let printed = format!("{config:?}");
        assert!(!printed.contains("secret\""), "{printed}");
        assert!(!printed.contains("k1"), "{printed}");
    }
}
