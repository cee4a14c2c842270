//! Recording attempts, group-committed: the outcomes of many lanes' attempts are written in
//! one transaction (`group_commit.rs`), each fenced by its lane's epoch as `lease.rs`
//! describes. The common outcome, a post that went out, is written for the whole batch in
//! one statement; the rarer ones row by row within the same transaction.

use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{
    StoreError,
    codec::PENDING_STATES,
    event_hooks,
    outbox::{AttemptRecord, Claimed, Outcome},
    retry_transient,
};
use crate::domain::{ChannelId, DeliveryId, DeliveryState, IntegrationId, TeamId, WorkspaceId};

/// Whether `finish` recorded the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    Recorded,
    /// The lane was claimed again after this worker's lease ran out: nothing was written,
    /// and the attempt is left to the new owner's reconciliation.
    Fenced,
}

/// Attempts recorded per transaction at most.
pub(super) const MAX_BATCH: usize = 256;
/// Batch transactions in flight at once.
pub(super) const FLUSHES: usize = 2;

/// One attempt's outcome, owned: it crosses to the flushing task.
pub(super) struct PendingFinish {
    owner: Uuid,
    pub(super) delivery_id: DeliveryId,
    lease_epoch: i64,
    integration_id: IntegrationId,
    team_id: TeamId,
    workspace_id: WorkspaceId,
    channel_id: ChannelId,
    outcome: Outcome,
    attempt: Option<AttemptRecord>,
    settle_grace: Duration,
}

impl PendingFinish {
    pub fn new(
        owner: Uuid,
        head: &Claimed,
        outcome: &Outcome,
        attempt: Option<&AttemptRecord>,
        settle_grace: Duration,
    ) -> Self {
        Self {
            owner,
            delivery_id: head.id,
            lease_epoch: head.lease_epoch,
            integration_id: head.integration_id,
            team_id: head.team_id.clone(),
            workspace_id: head.workspace_id.clone(),
            channel_id: head.channel_id.clone(),
            outcome: outcome.clone(),
            attempt: attempt.cloned(),
            settle_grace,
        }
    }
}

/// Records `batch`; each item's answer, or `None` for every item when the batch kept
/// failing (each caller then records alone and hears its own error).
pub(super) async fn finish_all(pool: PgPool, batch: Vec<PendingFinish>) -> Vec<Option<Finished>> {
    match retry_transient("finish_batch", || finish_once(&pool, &batch)).await {
        Ok(finished) => finished.into_iter().map(Some).collect(),
        Err(err) => {
            tracing::warn!(error = %err, attempts = batch.len(), "batched recording failed; each goes alone");
            batch.iter().map(|_| None).collect()
        }
    }
}

/// One transaction: lock the lanes still held (in name order, as every writer of lanes
/// does), record what they did, log their attempts and events, hand the lanes back.
pub(super) async fn finish_once(
    pool: &PgPool,
    batch: &[PendingFinish],
) -> Result<Vec<Finished>, StoreError> {
    let mut tx = pool.begin().await?;
    let held = lock_held_lanes(&mut tx, batch).await?;
    let recorded: Vec<&PendingFinish> = batch
        .iter()
        .zip(&held)
        .filter_map(|(item, held)| held.then_some(item))
        .collect();
    if !recorded.is_empty() {
        // The posts that went out in one statement, the rarer outcomes one by one.
        record_sent(&mut tx, &recorded).await?;
        for item in &recorded {
            if !matches!(item.outcome, Outcome::Sent { .. }) {
                record_outcome(&mut tx, item).await?;
            }
        }
        let finals: Vec<DeliveryId> = recorded
            .iter()
            .filter(|item| matches!(item.outcome, Outcome::Sent { .. } | Outcome::Failed { .. }))
            .map(|item| item.delivery_id)
            .collect();
        event_hooks::deliveries_finished(&mut tx, &finals).await?;
        log_attempts(&mut tx, &recorded).await?;
        release_lanes(&mut tx, &recorded).await?;
    }
    tx.commit().await?;
    Ok(held
        .into_iter()
        .map(|held| {
            if held {
                Finished::Recorded
            } else {
                Finished::Fenced
            }
        })
        .collect())
}

/// Locks the lanes of `batch` that their worker still holds at the epoch it claimed; for
/// each item, whether its lane is held. A lane claimed by another worker since carries
/// another epoch. And an enqueue holding a lane row commits before this goes on, so the
/// release below sees its delivery.
async fn lock_held_lanes(
    conn: &mut PgConnection,
    batch: &[PendingFinish],
) -> Result<Vec<bool>, StoreError> {
    let held: Vec<i64> = sqlx::query_scalar(
        "SELECT h.n FROM channel_lanes l
         JOIN unnest($1::text[], $2::text[], $3::uuid[], $4::bigint[])
              WITH ORDINALITY AS h(workspace_id, channel_id, owner, lease_epoch, n)
           ON l.workspace_id = h.workspace_id AND l.channel_id = h.channel_id
          AND l.lease_owner = h.owner AND l.lease_epoch = h.lease_epoch
         ORDER BY l.workspace_id, l.channel_id
         FOR UPDATE OF l",
    )
    .bind(
        batch
            .iter()
            .map(|i| i.workspace_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        batch
            .iter()
            .map(|i| i.channel_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(batch.iter().map(|i| i.owner).collect::<Vec<_>>())
    .bind(batch.iter().map(|i| i.lease_epoch).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    Ok((1..=batch.len() as i64)
        .map(|n| held.contains(&n))
        .collect())
}

/// The delivery row after an attempt. `attempt_start_time` and `settle_time` stay set only
/// while a post of it may be on its way to Slack without our knowing.
async fn record_outcome(conn: &mut PgConnection, item: &PendingFinish) -> Result<(), sqlx::Error> {
    let (delivery, attempted, settle_grace) =
        (item.delivery_id, item.attempt.is_some(), item.settle_grace);
    let query = match &item.outcome {
        Outcome::Sent { .. } => return record_sent(conn, &[item]).await,
        Outcome::Failed { error } => sqlx::query(
            "UPDATE deliveries SET state = $4, last_error = $2, finish_time = now(),
                 attempts = attempts + $3, attempt_start_time = NULL, settle_time = NULL
             WHERE id = $1",
        )
        .bind(delivery)
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
        .bind(delivery)
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
        .bind(delivery)
        .bind(at),
        // Nothing was attempted: the earlier attempt's marks stay.
        Outcome::Settle { at } => {
            sqlx::query("UPDATE deliveries SET next_attempt_time = $2 WHERE id = $1")
                .bind(delivery)
                .bind(at)
        }
    };
    query.execute(conn).await?;
    Ok(())
}

/// Every post of `items` that went out, in one statement.
async fn record_sent(conn: &mut PgConnection, items: &[&PendingFinish]) -> Result<(), sqlx::Error> {
    let mut ids = Vec::new();
    let mut tss = Vec::new();
    let mut thread_tss = Vec::new();
    for item in items {
        if let Outcome::Sent { ts, thread_ts } = &item.outcome {
            ids.push(item.delivery_id);
            tss.push(ts.as_str());
            thread_tss.push(thread_ts.as_deref());
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE deliveries d SET state = $4, slack_ts = s.ts, thread_ts = s.thread_ts,
             sent_time = now(), finish_time = now(), attempts = d.attempts + 1, last_error = NULL,
             attempt_start_time = NULL, settle_time = NULL
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS s(id, ts, thread_ts)
         WHERE d.id = s.id",
    )
    .bind(&ids)
    .bind(&tss)
    .bind(&thread_tss)
    .bind(DeliveryState::Sent)
    .execute(conn)
    .await?;
    Ok(())
}

/// The calls made to Slack, for statistics.
async fn log_attempts(
    conn: &mut PgConnection,
    items: &[&PendingFinish],
) -> Result<(), sqlx::Error> {
    let attempted: Vec<(&PendingFinish, &AttemptRecord)> = items
        .iter()
        .filter_map(|item| Some((*item, item.attempt.as_ref()?)))
        .collect();
    if attempted.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO delivery_attempts
             (delivery_id, integration_id, team_id, latency_ms, outcome, slack_error)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::text[])",
    )
    .bind(attempted.iter().map(|(i, _)| i.delivery_id).collect::<Vec<_>>())
    .bind(attempted.iter().map(|(i, _)| i.integration_id).collect::<Vec<_>>())
    .bind(attempted.iter().map(|(i, _)| i.team_id.as_str()).collect::<Vec<_>>())
    .bind(
        attempted
            .iter()
            .map(|(_, a)| i32::try_from(a.latency.as_millis()).unwrap_or(i32::MAX))
            .collect::<Vec<_>>(),
    )
    .bind(attempted.iter().map(|(_, a)| a.outcome).collect::<Vec<_>>())
    .bind(attempted.iter().map(|(_, a)| a.slack_error.as_deref()).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Hands the lanes (locked above) back: each due again when its (new) head is.
async fn release_lanes(
    conn: &mut PgConnection,
    items: &[&PendingFinish],
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE channel_lanes l SET lease_owner = NULL, lease_expire_time = NULL,
             next_due = (SELECT d.next_attempt_time FROM deliveries d
                         WHERE d.workspace_id = l.workspace_id AND d.channel_id = l.channel_id
                           AND d.state IN {PENDING_STATES}
                         ORDER BY d.seq LIMIT 1)
         FROM unnest($1::text[], $2::text[]) AS h(workspace_id, channel_id)
         WHERE l.workspace_id = h.workspace_id AND l.channel_id = h.channel_id"
    ))
    .bind(
        items
            .iter()
            .map(|i| i.workspace_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        items
            .iter()
            .map(|i| i.channel_id.as_str())
            .collect::<Vec<_>>(),
    )
    .execute(conn)
    .await?;
    Ok(())
}
