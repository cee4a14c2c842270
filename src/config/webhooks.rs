//! The `webhooks` section: how webhook subscriptions are delivered.

use std::time::Duration;

use super::{ConfigError, Env, invalid};

/// The Standard Webhooks (Svix) schedule after the first try: about a day in all.
pub const DEFAULT_RETRY_SCHEDULE: &str = "5s,5m,30m,2h,5h,10h,10h";

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Run dispatchers in this process.
    pub enabled: bool,
    /// Pause before each retry of a failed event; once spent, the subscription is disabled.
    pub retry_schedule: Vec<Duration>,
    /// Per-request timeout of a delivery.
    pub request_timeout: Duration,
    /// Accept and deliver to loopback and private addresses (tests, local runs).
    pub allow_private: bool,
    /// Subscriptions sending at once in this process.
    pub max_in_flight: usize,
    /// Polling fallback when no notification arrives.
    pub poll_interval: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            retry_schedule: parse_schedule(DEFAULT_RETRY_SCHEDULE).expect("valid default"),
            request_timeout: Duration::from_secs(10),
            allow_private: false,
            max_in_flight: 32,
            poll_interval: Duration::from_secs(1),
        }
    }
}

impl WebhookConfig {
    /// A dispatcher owns a subscription this long without writing; every delivered event
    /// renews it, and it outlasts a request's timeout several times over.
    pub fn lease(&self) -> Duration {
        self.request_timeout * 2 + Duration::from_secs(2)
    }
}

/// `5s,5m,2h,250ms`: whole numbers with a unit (ms, s, m, h); `None` when malformed.
pub fn parse_schedule(raw: &str) -> Option<Vec<Duration>> {
    raw.split(',')
        .map(|step| {
            let step = step.trim();
            let split = step.find(|c: char| !c.is_ascii_digit())?;
            let (number, unit) = step.split_at(split);
            let n: u64 = number.parse().ok()?;
            let unit = match unit {
                "ms" => Duration::from_millis(1),
                "s" => Duration::from_secs(1),
                "m" => Duration::from_secs(60),
                "h" => Duration::from_secs(3600),
                _ => return None,
            };
            unit.checked_mul(u32::try_from(n).ok()?)
        })
        .collect()
}

impl WebhookConfig {
    pub(super) fn parse(env: &Env<'_>) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        const SCHEDULE: &str = "SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE";
        let retry_schedule = match env.optional(SCHEDULE) {
            None => defaults.retry_schedule.clone(),
            Some(raw) => parse_schedule(&raw).ok_or_else(|| {
                invalid(
                    SCHEDULE,
                    format!("must be pauses like 5s,5m,2h (units ms, s, m, h), got {raw:?}"),
                )
            })?,
        };
        Ok(Self {
            enabled: env.parsed("SWITCHBOARD_WEBHOOK_WORKERS", true, "true or false")?,
            retry_schedule,
            request_timeout: env
                .millis("SWITCHBOARD_WEBHOOK_TIMEOUT_MS", defaults.request_timeout)?,
            allow_private: env.parsed(
                "SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE",
                false,
                "true or false",
            )?,
            ..defaults
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_with_units_and_garbage_is_refused() {
        let default = parse_schedule(DEFAULT_RETRY_SCHEDULE).unwrap();
        assert_eq!(default.len(), 7);
        assert_eq!(default[0], Duration::from_secs(5));
        let total: Duration = default.iter().sum();
        assert!(total > Duration::from_secs(20 * 3600) && total < Duration::from_secs(30 * 3600));
        assert_eq!(
            parse_schedule("20ms, 1s").unwrap(),
            [Duration::from_millis(20), Duration::from_secs(1)]
        );
        for bad in ["", "5", "s", "5x", "5s,,1s", "-1s"] {
            assert!(parse_schedule(bad).is_none(), "{bad}");
        }
    }
}
