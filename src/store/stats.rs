//! Figures for MonitoringService, computed from the attempt log and the outbox.

use chrono::{DateTime, Utc};
use sqlx::{
    FromRow, Postgres,
    postgres::{PgArguments, PgRow},
    query::QueryAs,
};

use super::{
    Store, StoreError,
    codec::{MESSAGE_KINDS, PENDING_STATES},
    event_hooks, retrying,
};
use crate::domain::{Condition, DeliveryKind, DeliveryState, IntegrationId, TeamId};

/// Which rows a figure counts.
#[derive(Debug, Clone, Default)]
pub struct StatsScope {
    pub team_id: Option<TeamId>,
    pub integration_id: Option<IntegrationId>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessagingStats {
    pub total_attempts: i64,
    pub successful: i64,
    pub failed: i64,
    pub retried_deliveries: i64,
    pub deliveries_attempted: i64,
    pub common_errors: Vec<(String, i64)>,
    pub p50_latency_ms: f64,
    pub p95_latency_ms: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DashboardStats {
    pub total_integrations: i64,
    pub active_integrations: i64,
    pub configured_channels: i64,
    pub healthy_integrations: i64,
    pub messages_last_24h: i64,
    pub replies_last_24h: i64,
    pub threads_last_24h: i64,
    pub duplicate_connection_attempts_last_24h: i64,
    pub queued_deliveries: i64,
}

const MOST_COMMON_ERRORS: i64 = 10;

/// The attempts a messaging figure counts, as a predicate on `delivery_attempts`: those of
/// the scope's team and integration (when given) made from `$1` up to `$2`.
const ATTEMPT_WINDOW: &str = "attempt_time >= $1 AND attempt_time < $2
     AND ($3::text IS NULL OR team_id = $3) AND ($4::uuid IS NULL OR integration_id = $4)";

/// The values of `ATTEMPT_WINDOW`'s `$1` to `$4`.
#[derive(Clone, Copy)]
struct AttemptWindow<'a> {
    scope: &'a StatsScope,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl<'a> AttemptWindow<'a> {
    /// `sql`, a statement over `ATTEMPT_WINDOW`, with the window bound.
    fn query<'q, O>(self, sql: &'q str) -> QueryAs<'q, Postgres, O, PgArguments>
    where
        'a: 'q,
        O: for<'r> FromRow<'r, PgRow>,
    {
        sqlx::query_as(sql)
            .bind(self.start)
            .bind(self.end)
            .bind(self.scope.team_id.as_ref())
            .bind(self.scope.integration_id)
    }
}

impl Store {
    pub async fn messaging_stats(
        &self,
        scope: &StatsScope,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<MessagingStats, StoreError> {
        let window = AttemptWindow { scope, start, end };
        retrying("messaging_stats", || async move {
            let (total, successful, p50, p95): (i64, i64, Option<f64>, Option<f64>) = window
                .query(&format!(
                    "SELECT count(*), count(*) FILTER (WHERE outcome = 'sent'),
                            percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms),
                            percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)
                     FROM delivery_attempts WHERE {ATTEMPT_WINDOW}"
                ))
                .fetch_one(&self.pool)
                .await?;
            let (attempted, retried): (i64, i64) = window
                .query(&format!(
                    "SELECT count(*), count(*) FILTER (WHERE n > 1)
                     FROM (SELECT delivery_id, count(*) AS n FROM delivery_attempts
                           WHERE {ATTEMPT_WINDOW} GROUP BY delivery_id) per_delivery"
                ))
                .fetch_one(&self.pool)
                .await?;
            let common_errors: Vec<(String, i64)> = window
                .query(&format!(
                    "SELECT COALESCE(slack_error, 'unknown'), count(*) AS n FROM delivery_attempts
                     WHERE {ATTEMPT_WINDOW} AND outcome <> 'sent'
                     GROUP BY 1 ORDER BY n DESC, 1 LIMIT {MOST_COMMON_ERRORS}"
                ))
                .fetch_all(&self.pool)
                .await?;
            Ok(MessagingStats {
                total_attempts: total,
                successful,
                failed: total - successful,
                retried_deliveries: retried,
                deliveries_attempted: attempted,
                common_errors,
                p50_latency_ms: p50.unwrap_or_default(),
                p95_latency_ms: p95.unwrap_or_default(),
            })
        })
        .await
    }

    pub async fn dashboard_stats(
        &self,
        team_id: Option<&TeamId>,
    ) -> Result<DashboardStats, StoreError> {
        retrying("dashboard_stats", || async move {
            let (total, active, configured, healthy): (i64, i64, i64, i64) = sqlx::query_as(
                "SELECT count(*),
                        count(*) FILTER (WHERE enabled AND condition = $2),
                        count(nc_channel_id),
                        count(*) FILTER (WHERE condition = $2)
                 FROM integrations_with_channel WHERE ($1::text IS NULL OR team_id = $1)",
            )
            .bind(team_id)
            .bind(Condition::Healthy)
            .fetch_one(&self.pool)
            .await?;
            let (messages, replies, threads, queued): (i64, i64, i64, i64) = sqlx::query_as(&format!(
                // Messages include replies (api.md); updates and deletions are not messages.
                "SELECT count(*) FILTER (WHERE kind IN {MESSAGE_KINDS} AND state = $2
                                         AND sent_time > now() - interval '1 day'),
                        count(*) FILTER (WHERE kind = $3 AND state = $2 AND sent_time > now() - interval '1 day'),
                        count(DISTINCT thread_ts) FILTER (WHERE kind = $3 AND state = $2
                                                          AND sent_time > now() - interval '1 day'),
                        count(*) FILTER (WHERE state IN {PENDING_STATES})
                 FROM deliveries WHERE ($1::text IS NULL OR team_id = $1)"
            ))
            .bind(team_id)
            .bind(DeliveryState::Sent)
            .bind(DeliveryKind::Reply)
            .fetch_one(&self.pool)
            .await?;
            let duplicates: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM integration_audit
                 WHERE action = 'duplicate_attempt' AND create_time > now() - interval '1 day'
                   AND ($1::text IS NULL OR team_id = $1)",
            )
            .bind(team_id)
            .fetch_one(&self.pool)
            .await?;
            Ok(DashboardStats {
                total_integrations: total,
                active_integrations: active,
                configured_channels: configured,
                healthy_integrations: healthy,
                messages_last_24h: messages,
                replies_last_24h: replies,
                threads_last_24h: threads,
                duplicate_connection_attempts_last_24h: duplicates,
                queued_deliveries: queued,
            })
        })
        .await
    }

    /// Posts and replies created in the window, by message type.
    pub async fn message_type_breakdown(
        &self,
        team_id: Option<&TeamId>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        retrying("message_type_breakdown", || async move {
            Ok(sqlx::query_as(&format!(
                "SELECT COALESCE(message_type, 'unspecified'), count(*) AS n FROM deliveries
                 WHERE kind IN {MESSAGE_KINDS} AND create_time >= $1 AND create_time < $2
                   AND ($3::text IS NULL OR team_id = $3)
                 GROUP BY 1 ORDER BY n DESC, 1"
            ))
            .bind(start)
            .bind(end)
            .bind(team_id)
            .fetch_all(&self.pool)
            .await?)
        })
        .await
    }

    /// Records a health check's verdict: healthy, a transient error, or revoked.
    pub async fn record_health(
        &self,
        id: IntegrationId,
        condition: Condition,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        retrying("record_health", || async move {
            let mut tx = self.pool.begin().await?;
            let status = event_hooks::status_before(&mut tx, id).await?;
            sqlx::query(
                "UPDATE integrations SET condition = $2, status_reason = $3,
                     last_health_check_time = now(),
                     update_time = CASE WHEN condition <> $2 THEN now() ELSE update_time END
                 WHERE id = $1",
            )
            .bind(id)
            .bind(condition)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
            let why = reason.unwrap_or("health_check");
            event_hooks::status_changed(&mut tx, id, status, why).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }
}
