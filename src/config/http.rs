//! The `http` section: the listeners (gRPC, HTTP, and the optional admin port), their
//! limits, and the longest any one RPC may take.

use std::{net::SocketAddr, time::Duration};

use super::{ConfigError, Env};

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    /// When set, probes and metrics are served here instead of on `http_addr`.
    pub admin_addr: Option<SocketAddr>,
    pub limits: HttpLimits,
    /// Upper bound on any one RPC (also the longest `wait_for_delivery`).
    pub request_timeout: Duration,
}

/// The HTTP listeners' limits (`SWITCHBOARD_HTTP_MAX_CONNECTIONS`, `SWITCHBOARD_HTTP_TIMEOUT_MS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Open connections per listener; more are answered 503 and closed.
    pub max_connections: usize,
    /// For a request's headers, then for its body and answer, and for an idle connection.
    pub timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            timeout: Duration::from_secs(10),
        }
    }
}

impl HttpConfig {
    pub(super) fn parse(env: &Env<'_>) -> Result<Self, ConfigError> {
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
        let request_timeout = Duration::from_secs(env.parsed(
            "SWITCHBOARD_REQUEST_TIMEOUT_SECS",
            30u64,
            "seconds",
        )?);
        let defaults = HttpLimits::default();
        let limits = HttpLimits {
            max_connections: env
                .parsed(
                    "SWITCHBOARD_HTTP_MAX_CONNECTIONS",
                    defaults.max_connections,
                    "a whole number",
                )?
                .max(1),
            timeout: env.millis("SWITCHBOARD_HTTP_TIMEOUT_MS", defaults.timeout)?,
        };
        Ok(Self {
            grpc_addr,
            http_addr,
            admin_addr,
            limits,
            request_timeout,
        })
    }
}
