//! The `telemetry` section: the log filter and format, and where traces go.

use super::{ConfigError, Env, invalid};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// `RUST_LOG`.
    pub log_filter: String,
    pub log_format: LogFormat,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: where traces go, when set.
    pub otlp_endpoint: Option<String>,
}

pub(super) const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,h2=warn,tower=warn";

impl TelemetryConfig {
    /// This section alone, for commands that need no other setting (`migrate`).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::parse(&Env::process())
    }

    pub(super) fn parse(env: &Env<'_>) -> Result<Self, ConfigError> {
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
        Ok(Self {
            log_filter: env
                .optional("RUST_LOG")
                .unwrap_or_else(|| DEFAULT_LOG_FILTER.to_owned()),
            log_format,
            otlp_endpoint: env.optional("OTEL_EXPORTER_OTLP_ENDPOINT"),
        })
    }
}

/// The log filter (`RUST_LOG`), for tools that read no other setting (slack-sim).
pub fn log_filter() -> String {
    Env::process()
        .optional("RUST_LOG")
        .unwrap_or_else(|| DEFAULT_LOG_FILTER.to_owned())
}

/// `SWITCHBOARD_LOG_FORMAT` alone, for tools that read no other setting (slack-sim); an
/// unknown value means human-readable.
pub fn log_format() -> LogFormat {
    match Env::process().optional("SWITCHBOARD_LOG_FORMAT").as_deref() {
        Some("json") => LogFormat::Json,
        _ => LogFormat::Human,
    }
}
