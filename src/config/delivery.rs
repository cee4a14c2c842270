//! The `delivery` section: whether this process runs workers, and their pace, leases and
//! retries.

use std::time::Duration;

use super::{ConfigError, Env, invalid};

/// Pace of every channel (and optionally of a whole workspace), shared through Postgres.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// One message per `interval` per channel...
    pub channel_interval: Duration,
    /// ...after a burst of at most this many.
    pub channel_burst: u32,
    /// A lane that starts a burst counts it from this much after the claim: Slack's clock
    /// starts when the first post arrives, which is later than the claim by a varying
    /// lag. Without it the first paced post after a burst can reach Slack early (a 429)
    /// whenever its lag is shorter than the burst's first. Costs nothing while a lane is
    /// backlogged.
    pub lag_margin: Duration,
    /// Optional workspace-wide cap: (interval, burst).
    pub workspace: Option<(Duration, u32)>,
}

#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Run workers in this process.
    pub enabled: bool,
    pub pace: Pace,
    /// Most deliveries in flight in this process.
    pub max_in_flight: usize,
    /// How long a worker owns a lane without renewing it; a crashed worker's lanes are
    /// free again after this. Renewed while an attempt runs.
    pub lease: Duration,
    /// How long after a call to Slack has ended on our side Slack may still act on it.
    /// A post of unknown outcome is looked up in the history only after this.
    pub settle_grace: Duration,
    /// Attempts (429s excluded) before a delivery FAILS.
    pub max_attempts: i32,
    /// First retry delay; doubles each attempt (with jitter), capped at `retry_cap`.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// Polling fallback when no notification arrives.
    pub poll_interval: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            pace: Pace {
                channel_interval: Duration::from_secs(1),
                channel_burst: 3,
                lag_margin: Duration::from_millis(50),
                workspace: None,
            },
            max_in_flight: 256,
            lease: Duration::from_secs(60),
            settle_grace: Duration::from_secs(10),
            max_attempts: 8,
            // 15 s doubling to a 15 min cap: 8 attempts span about 30 minutes.
            retry_base: Duration::from_secs(15),
            retry_cap: Duration::from_secs(15 * 60),
            poll_interval: Duration::from_secs(1),
        }
    }
}

impl DeliveryConfig {
    /// `slack_timeout` bounds the lease from below: an attempt calls Slack only while its
    /// lease outlasts the call's timeout, and the heartbeat renews it a few times per
    /// period, so a lease much shorter than that would stall delivery.
    pub(super) fn parse(env: &Env<'_>, slack_timeout: Duration) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let workspace_cap = match env.optional("SWITCHBOARD_WORKSPACE_PACE_MS") {
            None => None,
            Some(_) => Some((
                env.millis("SWITCHBOARD_WORKSPACE_PACE_MS", Duration::from_secs(1))?,
                env.parsed("SWITCHBOARD_WORKSPACE_BURST", 10u32, "a whole number")?,
            )),
        };
        let delivery = Self {
            enabled: env.parsed("SWITCHBOARD_DELIVERY_WORKERS", true, "true or false")?,
            pace: Pace {
                channel_interval: env.millis(
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
                lag_margin: env.millis(
                    "SWITCHBOARD_CHANNEL_PACE_MARGIN_MS",
                    defaults.pace.lag_margin,
                )?,
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
            retry_base: env.millis("SWITCHBOARD_DELIVERY_RETRY_BASE_MS", defaults.retry_base)?,
            lease: env.millis("SWITCHBOARD_DELIVERY_LEASE_MS", defaults.lease)?,
            settle_grace: env.millis(
                "SWITCHBOARD_DELIVERY_SETTLE_GRACE_MS",
                defaults.settle_grace,
            )?,
            ..defaults
        };
        if delivery.lease < slack_timeout * 2 {
            return Err(invalid(
                "SWITCHBOARD_DELIVERY_LEASE_MS",
                format!(
                    "({} ms) must be at least twice SLACK_REQUEST_TIMEOUT_MS ({} ms)",
                    delivery.lease.as_millis(),
                    slack_timeout.as_millis()
                ),
            ));
        }
        Ok(delivery)
    }
}
