//! What a worker does with a lane it leased: keep the lease alive while its attempt runs,
//! and record how the attempt ended, fenced by the lane's epoch so that a worker that lost
//! its lease never writes over the work of the lane's new owner.

use std::time::Duration;

use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    Store, StoreError,
    codec::PENDING_STATES,
    outbox::{AttemptRecord, Claimed, LeaseTerms, Outcome, interval_sql},
    retrying,
};
use crate::domain::{ChannelId, DeliveryId, DeliveryState, WorkspaceId};

/// A lane a worker holds, as the heartbeat names it.
#[derive(Debug, Clone)]
pub struct HeldLane {
    pub workspace_id: WorkspaceId,
    pub channel_id: ChannelId,
    pub lease_epoch: i64,
    /// The delivery being attempted in it.
    pub delivery_id: DeliveryId,
}

/// Whether `finish` recorded the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    Recorded,
    /// The lane was claimed again after this worker's lease ran out: nothing was written,
    /// and the attempt is left to the new owner's reconciliation.
    Fenced,
}

impl Store {
    /// Extends the leases of `held` that this worker still owns (same epoch) and pushes the
    /// settle time of their heads past the new expiry. Returns the delivery ids renewed;
    /// a lane missing from the answer was lost.
    pub async fn renew_leases(
        &self,
        owner: Uuid,
        held: &[HeldLane],
        terms: LeaseTerms,
    ) -> Result<Vec<DeliveryId>, StoreError> {
        if held.is_empty() {
            return Ok(Vec::new());
        }
        let mut workspaces = Vec::with_capacity(held.len());
        let mut channels = Vec::with_capacity(held.len());
        let mut epochs = Vec::with_capacity(held.len());
        let mut ids = Vec::with_capacity(held.len());
        for lane in held {
            workspaces.push(&lane.workspace_id);
            channels.push(&lane.channel_id);
            epochs.push(lane.lease_epoch);
            ids.push(lane.delivery_id);
        }
        // One statement: the lanes still ours get a new expiry, and their heads a settle
        // time past it (a delivery whose settle time was cleared is finished: left alone).
        let renewed: Vec<DeliveryId> = sqlx::query_scalar(&format!(
            "WITH renewed AS (
                 UPDATE channel_lanes l SET lease_expire_time = now() + interval '{lease}'
                 FROM unnest($2::text[], $3::text[], $4::bigint[], $5::uuid[])
                      AS h(workspace_id, channel_id, lease_epoch, delivery_id)
                 WHERE l.workspace_id = h.workspace_id AND l.channel_id = h.channel_id
                   AND l.lease_owner = $1 AND l.lease_epoch = h.lease_epoch
                 RETURNING h.delivery_id)
             UPDATE deliveries d SET settle_time = now() + interval '{settle}'
             FROM renewed
             WHERE d.id = renewed.delivery_id AND d.settle_time IS NOT NULL
             RETURNING d.id",
            lease = interval_sql(terms.lease),
            settle = interval_sql(terms.lease + terms.settle_grace),
        ))
        .bind(owner)
        .bind(&workspaces)
        .bind(&channels)
        .bind(&epochs)
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(renewed)
    }

    /// Records how the attempt on `head` ended and hands its lane back, if this worker
    /// still holds the lane at the epoch it claimed.
    pub async fn finish(
        &self,
        owner: Uuid,
        head: &Claimed,
        outcome: &Outcome,
        attempt: Option<&AttemptRecord>,
        terms: LeaseTerms,
    ) -> Result<Finished, StoreError> {
        retrying("finish", || async move {
            let mut tx = self.pool.begin().await?;
            // Lock the lane first, in a statement of its own. It fences: a lane claimed by
            // another worker since carries another epoch. And an enqueue holding the lane
            // row commits before we go on, so the release below sees its delivery.
            let held: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM channel_lanes
                 WHERE workspace_id = $1 AND channel_id = $2 AND lease_owner = $3 AND lease_epoch = $4
                 FOR UPDATE",
            )
            .bind(&head.workspace_id)
            .bind(&head.channel_id)
            .bind(owner)
            .bind(head.lease_epoch)
            .fetch_optional(&mut *tx)
            .await?;
            if held.is_none() {
                return Ok(Finished::Fenced);
            }
            record_outcome(&mut tx, head, outcome, attempt.is_some(), terms.settle_grace)
                .await?;
            super::event_hooks::delivery_finished(&mut tx, head.id, outcome).await?;
            if let Some(attempt) = attempt {
                sqlx::query(
                    "INSERT INTO delivery_attempts
                         (delivery_id, integration_id, team_id, latency_ms, outcome, slack_error)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(head.id)
                .bind(head.integration_id)
                .bind(&head.team_id)
                .bind(i32::try_from(attempt.latency.as_millis()).unwrap_or(i32::MAX))
                .bind(attempt.outcome)
                .bind(&attempt.slack_error)
                .execute(&mut *tx)
                .await?;
            }
            release_lane(&mut tx, &head.workspace_id, &head.channel_id).await?;
            tx.commit().await?;
            Ok(Finished::Recorded)
        })
        .await
    }
}

/// The delivery row after an attempt. `attempt_start_time` and `settle_time` stay set only
/// while a post of it may be on its way to Slack without our knowing.
async fn record_outcome(
    conn: &mut PgConnection,
    head: &Claimed,
    outcome: &Outcome,
    attempted: bool,
    settle_grace: Duration,
) -> Result<(), sqlx::Error> {
    let query = match outcome {
        Outcome::Sent { ts, thread_ts } => sqlx::query(
            "UPDATE deliveries SET state = $4, slack_ts = $2, thread_ts = $3,
                 sent_time = now(), finish_time = now(), attempts = attempts + 1,
                 last_error = NULL, attempt_start_time = NULL, settle_time = NULL
             WHERE id = $1",
        )
        .bind(head.id)
        .bind(ts)
        .bind(thread_ts)
        .bind(DeliveryState::Sent),
        Outcome::Failed { error } => sqlx::query(
            "UPDATE deliveries SET state = $4, last_error = $2, finish_time = now(),
                 attempts = attempts + $3, attempt_start_time = NULL, settle_time = NULL
             WHERE id = $1",
        )
        .bind(head.id)
        .bind(error.to_string())
        .bind(i32::from(attempted))
        .bind(DeliveryState::Failed),
        // The call that may have posted has ended on our side; Slack gets the grace to
        // finish what it received before anyone looks in the history.
        Outcome::Retry {
            error,
            at,
            counted,
            maybe_sent,
        } => sqlx::query(
            "UPDATE deliveries SET state = CASE WHEN $4 THEN $7 ELSE state END,
                 last_error = $2, next_attempt_time = $3,
                 attempts = attempts + CASE WHEN $4 THEN 1 ELSE 0 END,
                 attempt_start_time = CASE WHEN $5 THEN attempt_start_time END,
                 settle_time = CASE WHEN $5 THEN now() + $6 END
             WHERE id = $1",
        )
        .bind(head.id)
        .bind(error.to_string())
        .bind(at)
        .bind(counted)
        .bind(maybe_sent)
        .bind(settle_grace)
        .bind(DeliveryState::Retrying),
        Outcome::Wait { at } => sqlx::query(
            "UPDATE deliveries SET next_attempt_time = $2, attempt_start_time = NULL,
                 settle_time = NULL
             WHERE id = $1",
        )
        .bind(head.id)
        .bind(at),
        // Nothing was attempted: the earlier attempt's marks stay.
        Outcome::Settle { at } => {
            sqlx::query("UPDATE deliveries SET next_attempt_time = $2 WHERE id = $1")
                .bind(head.id)
                .bind(at)
        }
    };
    query.execute(conn).await?;
    Ok(())
}

/// Hands a lane (locked by the caller) back: due again when its (new) head is.
async fn release_lane(
    conn: &mut PgConnection,
    workspace_id: &WorkspaceId,
    channel_id: &ChannelId,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE channel_lanes SET lease_owner = NULL, lease_expire_time = NULL,
             next_due = (SELECT next_attempt_time FROM deliveries
                         WHERE workspace_id = $1 AND channel_id = $2
                           AND state IN {PENDING_STATES}
                         ORDER BY seq LIMIT 1)
         WHERE workspace_id = $1 AND channel_id = $2"
    ))
    .bind(workspace_id)
    .bind(channel_id)
    .execute(conn)
    .await?;
    Ok(())
}
