//! Figures about the whole deployment that Prometheus reads at each scrape (`/metrics`):
//! the outbox's lag, and how many integrations and webhook subscriptions are in each state.
//! Read from Postgres, so every replica reports the same; alerts take `max` of them.

use crate::domain::{Condition, IntegrationStatus};

use super::{Store, StoreError, codec::PENDING_STATES};

#[derive(Debug, Default)]
pub struct Gauges {
    /// How long the most overdue waiting delivery has been due (0 when none is).
    pub oldest_due_seconds: f64,
    /// Integrations per status.
    pub integrations: Vec<(IntegrationStatus, i64)>,
    /// Webhook subscriptions per state.
    pub webhook_subscriptions: Vec<(&'static str, i64)>,
}

/// The states of the `webhook_subscriptions.state` check constraint.
const WEBHOOK_STATES: [&str; 2] = ["active", "disabled"];

impl Store {
    pub async fn gauges(&self) -> Result<Gauges, StoreError> {
        let oldest_due_seconds: f64 = sqlx::query_scalar(&format!(
            "SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(next_attempt_time))::float8, 0)
             FROM deliveries WHERE state IN {PENDING_STATES} AND next_attempt_time <= now()"
        ))
        .fetch_one(&self.pool)
        .await?;
        let by_condition: Vec<(bool, String, i64)> = sqlx::query_as(
            "SELECT enabled, condition, count(*) FROM integrations GROUP BY enabled, condition",
        )
        .fetch_all(&self.pool)
        .await?;
        // Every status and state is reported, 0 included: a series that stopped being
        // reported would keep its last value in Prometheus' eyes for a while.
        let mut integrations: Vec<(IntegrationStatus, i64)> = [
            IntegrationStatus::Active,
            IntegrationStatus::Inactive,
            IntegrationStatus::Error,
            IntegrationStatus::Revoked,
        ]
        .map(|status| (status, 0))
        .to_vec();
        for (enabled, condition, count) in by_condition {
            let Some(condition) = Condition::parse(&condition) else {
                continue;
            };
            let status = IntegrationStatus::derive(enabled, condition);
            if let Some((_, total)) = integrations.iter_mut().find(|(s, _)| *s == status) {
                *total += count;
            }
        }
        let counted: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, count(*) FROM webhook_subscriptions GROUP BY state")
                .fetch_all(&self.pool)
                .await?;
        let webhook_subscriptions = WEBHOOK_STATES
            .iter()
            .map(|state| {
                let count = counted.iter().find(|(s, _)| s == state).map_or(0, |c| c.1);
                (*state, count)
            })
            .collect();
        Ok(Gauges {
            oldest_due_seconds,
            integrations,
            webhook_subscriptions,
        })
    }
}
