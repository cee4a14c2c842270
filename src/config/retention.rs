//! The `retention` section: how long the outbox's history is kept.

use std::time::Duration;

use super::{ConfigError, Env, invalid};

/// The shortest delivery retention allowed, in days. The dashboard counts the last 24
/// hours of deliveries and request ids answer repeats for a day: both must lie wholly
/// within what is kept.
pub const MIN_DELIVERY_RETENTION_DAYS: u64 = 2;

#[derive(Debug, Clone)]
pub struct RetentionConfig {
    /// How long finished deliveries (with their attempts) and handled Slack events are
    /// kept (`SWITCHBOARD_DELIVERY_RETENTION_DAYS`, default 30). It is also how long a
    /// message id stays idempotent, and the furthest back the stats can see.
    pub deliveries: Duration,
    /// How often the retention sweep runs (on one replica at a time); `None` for never.
    /// Not a setting of its own: tests turn it off or shorten it.
    pub sweep_every: Option<Duration>,
}

impl RetentionConfig {
    pub(super) fn parse(env: &Env<'_>) -> Result<Self, ConfigError> {
        const NAME: &str = "SWITCHBOARD_DELIVERY_RETENTION_DAYS";
        let days = env.parsed(NAME, 30u64, "a whole number of days")?;
        if days < MIN_DELIVERY_RETENTION_DAYS {
            return Err(invalid(
                NAME,
                format!(
                    "({days}) must be at least {MIN_DELIVERY_RETENTION_DAYS}: the dashboard \
                     counts the last 24 hours of deliveries and request ids are kept a day"
                ),
            ));
        }
        Ok(Self {
            deliveries: Duration::from_secs(days * 24 * 3600),
            sweep_every: Some(Duration::from_secs(3600)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(days: Option<&str>) -> Result<RetentionConfig, ConfigError> {
        RetentionConfig::parse(&Env::new(|name| {
            (name == "SWITCHBOARD_DELIVERY_RETENTION_DAYS")
                .then(|| days.map(str::to_owned))
                .flatten()
        }))
    }

    #[test]
    fn thirty_days_by_default() {
        let config = parse(None).unwrap();
        assert_eq!(config.deliveries, Duration::from_secs(30 * 24 * 3600));
        assert_eq!(
            parse(Some("2")).unwrap().deliveries,
            Duration::from_secs(2 * 24 * 3600)
        );
    }

    #[test]
    fn a_retention_shorter_than_the_stats_windows_is_refused_saying_why() {
        for days in ["0", "1"] {
            let err = parse(Some(days)).unwrap_err();
            assert_eq!(err.name, "SWITCHBOARD_DELIVERY_RETENTION_DAYS");
            let line = err.to_string();
            assert!(line.contains("at least 2"), "{line}");
            assert!(line.contains("24 hours"), "{line}");
        }
        let err = parse(Some("a month")).unwrap_err();
        assert!(err.to_string().contains("whole number of days"), "{err}");
    }
}
