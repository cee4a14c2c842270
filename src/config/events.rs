//! The `events` section: how long the event log keeps what it recorded.

use std::time::Duration;

use super::{ConfigError, Env, invalid};

#[derive(Debug, Clone)]
pub struct EventsConfig {
    /// How long events stay in the log (`SWITCHBOARD_EVENT_RETENTION_DAYS`, default 30).
    pub retention: Duration,
}

impl EventsConfig {
    pub(super) fn parse(env: &Env<'_>) -> Result<Self, ConfigError> {
        const NAME: &str = "SWITCHBOARD_EVENT_RETENTION_DAYS";
        let days = env.parsed(NAME, 30u64, "a whole number of days")?;
        if days == 0 {
            return Err(invalid(NAME, "must be at least 1"));
        }
        Ok(Self {
            retention: Duration::from_secs(days * 24 * 3600),
        })
    }
}
