//! Retention of the outbox's history: finished deliveries with their attempts, and the ids
//! of handled Slack events, each removed a small batch per transaction (row locks on at
//! most one batch, held for milliseconds), oldest first through a partial index, so a
//! batch costs the same whatever the history behind it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{
    Store, StoreError,
    codec::{FINAL_STATES, PENDING_STATES},
    retrying,
};
use crate::domain::DeliveryId;

/// How far a walk through the finished deliveries got: the (finish time, id) of the last
/// one it took up. The next batch starts after it, so deliveries kept because something
/// still needs them are passed by instead of met again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinishedCursor(DateTime<Utc>, DeliveryId);

/// Before every delivery. A time rather than NULL: the comparison stays an index bound.
impl Default for FinishedCursor {
    fn default() -> Self {
        Self(
            DateTime::UNIX_EPOCH,
            DeliveryId::from_uuid(uuid::Uuid::nil()),
        )
    }
}

/// What one batch of `remove_finished_deliveries` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemovedDeliveries {
    /// Old finished deliveries it took up; fewer than the batch means none are left.
    pub examined: u64,
    pub deliveries: u64,
    pub attempts: u64,
    /// Where the next batch starts.
    pub next: FinishedCursor,
}

/// The candidates `$1` that nothing queued still needs: no reply waiting for one as its
/// parent (found by the caller's message id), no update or delete of one. Probed per
/// candidate through small indexes, so the cost follows the batch, not the backlog.
static UNNEEDED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT d.id FROM deliveries d WHERE d.id = ANY($1)
           AND NOT EXISTS (SELECT 1 FROM deliveries c
                           WHERE c.integration_id = d.integration_id
                             AND c.parent_internal_message_id = d.internal_message_id
                             AND c.parent_internal_message_id IS NOT NULL
                             AND c.state IN {PENDING_STATES})
           AND NOT EXISTS (SELECT 1 FROM deliveries c
                           WHERE c.target_delivery_id = d.id AND c.state IN {PENDING_STATES})"
    )
});

impl Store {
    /// Removes, with their attempts, up to `batch` deliveries that became final more than
    /// `age` ago, after `after` in finish order; any that a queued reply, update or delete
    /// still needs stay.
    ///
    /// Two statements, so that no reply can slip past the check: the first locks the
    /// candidates (skipping any that an enqueue holds, see `deliveries::hold_message`);
    /// the second, with a snapshot taken after those locks, removes those unneeded. A
    /// reply committed before it is seen; one that comes after waits for this transaction
    /// and then finds its parent gone.
    pub async fn remove_finished_deliveries(
        &self,
        age: Duration,
        after: FinishedCursor,
        batch: i64,
    ) -> Result<RemovedDeliveries, StoreError> {
        retrying("remove_finished_deliveries", || async move {
            let mut tx = self.pool.begin().await?;
            let candidates: Vec<(DateTime<Utc>, DeliveryId)> = sqlx::query_as(&format!(
                "SELECT finish_time, id FROM deliveries
                 WHERE state IN {FINAL_STATES} AND finish_time < now() - $1
                   AND (finish_time, id) > ($2, $3)
                 ORDER BY finish_time, id LIMIT $4
                 FOR UPDATE SKIP LOCKED"
            ))
            .bind(age)
            .bind(after.0)
            .bind(after.1)
            .bind(batch)
            .fetch_all(&mut *tx)
            .await?;
            let Some(&(last_time, last_id)) = candidates.last() else {
                return Ok(RemovedDeliveries {
                    next: after,
                    ..Default::default()
                });
            };
            let ids: Vec<DeliveryId> = candidates.iter().map(|(_, id)| *id).collect();
            let (deliveries, attempts): (i64, i64) = sqlx::query_as(&format!(
                "WITH doomed AS ({unneeded}),
                 attempts AS (DELETE FROM delivery_attempts
                              WHERE delivery_id IN (SELECT id FROM doomed) RETURNING 1),
                 gone AS (DELETE FROM deliveries WHERE id IN (SELECT id FROM doomed) RETURNING 1)
                 SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM attempts)",
                unneeded = *UNNEEDED,
            ))
            .bind(&ids)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(RemovedDeliveries {
                examined: ids.len() as u64,
                deliveries: deliveries as u64,
                attempts: attempts as u64,
                next: FinishedCursor(last_time, last_id),
            })
        })
        .await
    }

    /// Removes up to `batch` handled Slack events (and interaction replay keys) received
    /// more than `age` ago; how many it removed.
    pub async fn remove_slack_events_older_than(
        &self,
        age: Duration,
        batch: i64,
    ) -> Result<u64, StoreError> {
        retrying("remove_slack_events_older_than", || async move {
            let removed = sqlx::query(
                "DELETE FROM slack_events WHERE event_id IN (
                     SELECT event_id FROM slack_events WHERE received_time < now() - $1
                     ORDER BY received_time LIMIT $2)",
            )
            .bind(age)
            .bind(batch)
            .execute(&self.pool)
            .await?;
            Ok(removed.rows_affected())
        })
        .await
    }
}
