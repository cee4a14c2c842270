//! The outbox as the delivery workers see it. A worker leases whole channel lanes
//! (`FOR UPDATE SKIP LOCKED`), so each channel has one message in flight across every
//! replica, in `seq` order, paced by a GCRA kept in the lane row. Every claim bumps the
//! lane's `lease_epoch`; what a worker records afterwards is fenced by it (`lease.rs`).

use std::{sync::LazyLock, time::Duration};

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::{
    Store, StoreError,
    codec::{MESSAGE_KINDS, PENDING_STATES},
    event_hooks, retrying,
};
use crate::config::Pace;
use crate::domain::{
    ChannelId, ChannelState, Condition, DeliveryFailure, DeliveryId, DeliveryKind, DeliveryState,
    IntegrationId, TeamId, WorkspaceId,
};

pub(super) fn interval_sql(d: Duration) -> String {
    format!("{} microseconds", d.as_micros())
}

/// Lanes `next_lane_time` considers.
const NEXT_LANE_CANDIDATES: usize = 256;

/// GCRA tolerance: how far ahead of now the theoretical arrival time may be.
fn burst_window(interval: Duration, burst: u32) -> Duration {
    interval * burst.saturating_sub(1)
}

/// How long a worker owns a lane, and how long after a lease or a call ends Slack may
/// still be processing a post it received (the settle grace).
#[derive(Debug, Clone, Copy)]
pub struct LeaseTerms {
    pub lease: Duration,
    pub settle_grace: Duration,
}

/// The head of a lane, handed to a worker with what it needs to send it.
#[derive(Debug)]
pub struct Claimed {
    pub id: DeliveryId,
    /// The lane's epoch this claim set: the worker's fencing token.
    pub lease_epoch: i64,
    /// An earlier attempt may still land in Slack until `settle_time`: the worker must not
    /// look in the history (nor post) before then.
    pub unsettled: bool,
    pub settle_time: Option<DateTime<Utc>>,
    pub integration_id: IntegrationId,
    pub team_id: TeamId,
    pub workspace_id: WorkspaceId,
    pub channel_id: ChannelId,
    pub kind: DeliveryKind,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub create_time: DateTime<Utc>,
    /// Set when an earlier attempt may have reached Slack: reconcile before posting.
    pub attempt_start_time: Option<DateTime<Utc>>,
    /// The integration and its channel as they are now (`None`: deleted, or not set).
    pub access_token_enc: Option<Vec<u8>>,
    pub integration_enabled: Option<bool>,
    pub integration_condition: Option<Condition>,
    pub channel_state: Option<ChannelState>,
    /// For a reply: its parent.
    pub parent_state: Option<DeliveryState>,
    pub parent_ts: Option<String>,
    pub parent_thread_ts: Option<String>,
    /// For an update or delete: the message it changes.
    pub target_state: Option<DeliveryState>,
    pub target_ts: Option<String>,
    /// The W3C trace context of the call that queued it, if that call was traced.
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
}

/// A claimed head as `CLAIM_HEADS` reads it: its enums and UUIDs decoded by the codec, its
/// text ids as stored.
#[derive(FromRow)]
struct ClaimedRow {
    id: DeliveryId,
    lease_epoch: i64,
    unsettled: bool,
    settle_time: Option<DateTime<Utc>>,
    integration_id: IntegrationId,
    team_id: String,
    workspace_id: String,
    channel_id: String,
    kind: DeliveryKind,
    payload: serde_json::Value,
    attempts: i32,
    create_time: DateTime<Utc>,
    attempt_start_time: Option<DateTime<Utc>>,
    access_token_enc: Option<Vec<u8>>,
    integration_enabled: Option<bool>,
    integration_condition: Option<Condition>,
    channel_state: Option<ChannelState>,
    parent_state: Option<DeliveryState>,
    parent_ts: Option<String>,
    parent_thread_ts: Option<String>,
    target_state: Option<DeliveryState>,
    target_ts: Option<String>,
    traceparent: Option<String>,
    tracestate: Option<String>,
}

/// Nothing can fail here: unknown enum spellings were refused while decoding, and the text
/// ids were parsed on their way into the outbox.
impl From<ClaimedRow> for Claimed {
    fn from(row: ClaimedRow) -> Self {
        Claimed {
            id: row.id,
            lease_epoch: row.lease_epoch,
            unsettled: row.unsettled,
            settle_time: row.settle_time,
            integration_id: row.integration_id,
            team_id: TeamId::from_trusted(row.team_id),
            workspace_id: WorkspaceId::from_trusted(row.workspace_id),
            channel_id: ChannelId::from_trusted(row.channel_id),
            kind: row.kind,
            payload: row.payload,
            attempts: row.attempts,
            create_time: row.create_time,
            attempt_start_time: row.attempt_start_time,
            access_token_enc: row.access_token_enc,
            integration_enabled: row.integration_enabled,
            integration_condition: row.integration_condition,
            channel_state: row.channel_state,
            parent_state: row.parent_state,
            parent_ts: row.parent_ts,
            parent_thread_ts: row.parent_thread_ts,
            target_state: row.target_state,
            target_ts: row.target_ts,
            traceparent: row.traceparent,
            tracestate: row.tracestate,
        }
    }
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent {
        ts: String,
        thread_ts: Option<String>,
    },
    /// Give up.
    Failed { error: DeliveryFailure },
    /// Try again at `at`; `counted` attempts use up the retry budget (a 429 does not).
    Retry {
        error: DeliveryFailure,
        at: DateTime<Utc>,
        counted: bool,
        /// The post may have reached Slack: reconcile before the next one.
        maybe_sent: bool,
    },
    /// Not attempted (a reply whose parent is not out yet): look again at `at`.
    Wait { at: DateTime<Utc> },
    /// Not attempted: an earlier attempt may still reach Slack until `at`, the delivery's
    /// settle time. Keeps the delivery marked as possibly sent.
    Settle { at: DateTime<Utc> },
}

impl Outcome {
    /// The same outcome for a delivery whose earlier post is still unaccounted for: a
    /// retry then looks in the history again before posting.
    pub fn still_maybe_sent(self) -> Self {
        match self {
            Self::Retry {
                error, at, counted, ..
            } => Self::Retry {
                error,
                at,
                counted,
                maybe_sent: true,
            },
            other => other,
        }
    }
}

/// A row of the attempt log.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub latency: Duration,
    pub outcome: &'static str,
    pub slack_error: Option<String>,
}

/// The heads of the lanes just leased, with the state of what they depend on.
static CLAIM_HEADS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "
    SELECT h.id, lane.lease_epoch, COALESCE(h.settle_time > now(), false) AS unsettled,
           h.settle_time, h.integration_id, h.team_id, h.workspace_id, h.channel_id, h.kind, h.payload,
           h.attempts, h.create_time, h.attempt_start_time,
           i.access_token_enc, i.enabled AS integration_enabled,
           i.condition AS integration_condition, nc.state AS channel_state,
           p.state AS parent_state, p.slack_ts AS parent_ts, p.thread_ts AS parent_thread_ts,
           t.state AS target_state, t.slack_ts AS target_ts, h.traceparent, h.tracestate
    FROM unnest($1::text[], $2::text[], $3::bigint[]) AS lane(workspace_id, channel_id, lease_epoch)
    -- One index probe per lane, whatever its backlog.
    CROSS JOIN LATERAL (
        SELECT d.* FROM deliveries d
        WHERE d.workspace_id = lane.workspace_id AND d.channel_id = lane.channel_id
          AND d.state IN {PENDING_STATES}
        ORDER BY d.seq
        LIMIT 1
    ) h
    LEFT JOIN integrations i ON i.id = h.integration_id
    LEFT JOIN notification_channels nc
           ON nc.integration_id = h.integration_id AND nc.channel_id = h.channel_id
    LEFT JOIN deliveries p
           ON p.integration_id = h.integration_id
          AND p.internal_message_id = h.parent_internal_message_id
          AND p.kind IN {MESSAGE_KINDS}
    LEFT JOIN deliveries t ON t.id = h.target_delivery_id"
    )
});

impl Store {
    /// Leases up to `limit` due lanes whose pace allows a message now, and returns their
    /// heads. Each settled head is marked as attempted, with a settle time past the new
    /// lease, before the transaction ends: a crash or a stall from here on is reconciled by
    /// whoever takes the lane next, once nothing of this attempt can still land.
    pub async fn claim(
        &self,
        owner: Uuid,
        limit: i64,
        terms: LeaseTerms,
        pace: Pace,
    ) -> Result<Vec<Claimed>, StoreError> {
        retrying("claim", || async move {
            let mut tx = self.pool.begin().await?;
            let lanes: Vec<(String, String, i64)> = sqlx::query_as(&format!(
                // `ready_time` finds the candidates by index; `next_due` and `tat` decide.
                "WITH picked AS (
                     SELECT workspace_id, channel_id FROM channel_lanes l
                     WHERE ready_time <= now()
                       AND next_due <= now()
                       AND tat <= now() + interval '{window}'
                       AND (lease_expire_time IS NULL OR lease_expire_time < now())
                       AND NOT EXISTS (SELECT 1 FROM workspace_limits w
                                       WHERE w.workspace_id = l.workspace_id AND w.paused_until > now())
                     ORDER BY ready_time
                     LIMIT $2
                     FOR UPDATE SKIP LOCKED)
                 UPDATE channel_lanes l
                 SET lease_owner = $1, lease_expire_time = now() + interval '{lease}',
                     lease_epoch = l.lease_epoch + 1,
                     tat = GREATEST(l.tat, now() + interval '{margin}') + interval '{step}',
                     pace_ready = GREATEST(l.tat, now() + interval '{margin}')
                                  + interval '{step}' - interval '{window}'
                 FROM picked
                 WHERE l.workspace_id = picked.workspace_id AND l.channel_id = picked.channel_id
                 RETURNING l.workspace_id, l.channel_id, l.lease_epoch",
                window = interval_sql(burst_window(pace.channel_interval, pace.channel_burst)),
                lease = interval_sql(terms.lease),
                step = interval_sql(pace.channel_interval),
                margin = interval_sql(pace.lag_margin),
            ))
            .bind(owner)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
            if lanes.is_empty() {
                return Ok(vec![]);
            }
            let lanes = match pace.workspace {
                Some(cap) => within_workspace_cap(&mut tx, lanes, cap, pace.channel_interval).await?,
                None => lanes,
            };
            let mut workspaces = Vec::with_capacity(lanes.len());
            let mut channels = Vec::with_capacity(lanes.len());
            let mut epochs = Vec::with_capacity(lanes.len());
            for (workspace, channel, epoch) in lanes {
                workspaces.push(workspace);
                channels.push(channel);
                epochs.push(epoch);
            }
            let heads: Vec<ClaimedRow> = sqlx::query_as(CLAIM_HEADS.as_str())
                .bind(&workspaces)
                .bind(&channels)
                .bind(&epochs)
                .fetch_all(&mut *tx)
                .await?;
            // Lanes whose queue turned out empty (sent or cancelled meanwhile) go idle.
            sqlx::query(&format!(
                "UPDATE channel_lanes l SET next_due = NULL, lease_owner = NULL, lease_expire_time = NULL
                 FROM unnest($1::text[], $2::text[]) AS lane(workspace_id, channel_id)
                 WHERE l.workspace_id = lane.workspace_id AND l.channel_id = lane.channel_id
                   AND NOT EXISTS (SELECT 1 FROM deliveries d
                                   WHERE d.workspace_id = l.workspace_id AND d.channel_id = l.channel_id
                                     AND d.state IN {PENDING_STATES})"
            ))
            .bind(&workspaces)
            .bind(&channels)
            .execute(&mut *tx)
            .await?;
            // An unsettled head is not attempted now, so its settle time stays as it is.
            let ids: Vec<DeliveryId> = heads.iter().filter(|h| !h.unsettled).map(|h| h.id).collect();
            sqlx::query(&format!(
                "UPDATE deliveries SET attempt_start_time = COALESCE(attempt_start_time, now()),
                     settle_time = now() + interval '{settle}'
                 WHERE id = ANY($1)",
                settle = interval_sql(terms.lease + terms.settle_grace),
            ))
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(heads.into_iter().map(Claimed::from).collect())
        })
        .await
    }

    /// Slack rate limited the workspace: no channel of it is claimed before `until`.
    pub async fn pause_workspace(
        &self,
        workspace_id: &WorkspaceId,
        until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        retrying("pause_workspace", || async move {
            sqlx::query(
                "INSERT INTO workspace_limits (workspace_id, paused_until) VALUES ($1, $2)
                 ON CONFLICT (workspace_id)
                 DO UPDATE SET paused_until = GREATEST(workspace_limits.paused_until, EXCLUDED.paused_until)",
            )
            .bind(workspace_id)
            .bind(until)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }

    /// Slack said the token is dead: the integration needs a reconnect.
    pub async fn mark_revoked(&self, id: IntegrationId, reason: &str) -> Result<(), StoreError> {
        retrying("mark_revoked", || async move {
            let mut tx = self.pool.begin().await?;
            let status = event_hooks::status_before(&mut tx, id).await?;
            sqlx::query(
                "UPDATE integrations SET condition = $3, status_reason = $2, update_time = now()
                 WHERE id = $1 AND condition <> $3",
            )
            .bind(id)
            .bind(reason)
            .bind(Condition::Revoked)
            .execute(&mut *tx)
            .await?;
            event_hooks::status_changed(&mut tx, id, status, reason).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Slack said the channel is gone or archived.
    pub async fn set_channel_state(
        &self,
        id: IntegrationId,
        channel_id: &ChannelId,
        state: ChannelState,
    ) -> Result<(), StoreError> {
        retrying("set_channel_state", || async move {
            let mut tx = self.pool.begin().await?;
            let sql = event_hooks::update_channels(
                "SELECT integration_id, channel_name, state FROM notification_channels
                 WHERE integration_id = $1 AND channel_id = $2 FOR UPDATE",
                "state = $3",
            );
            let update = sqlx::query_as(&sql).bind(id).bind(channel_id).bind(state);
            event_hooks::channel_changes(&mut tx, update).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Wakes lanes that are idle although deliveries wait in them. Nothing should leave a
    /// lane so, but the outbox must not depend on that: a delivery is never stranded.
    pub async fn wake_stranded_lanes(&self) -> Result<u64, StoreError> {
        let woken = sqlx::query(&format!(
            "UPDATE channel_lanes l SET next_due = now()
             WHERE next_due IS NULL
               AND EXISTS (SELECT 1 FROM deliveries d
                           WHERE d.workspace_id = l.workspace_id AND d.channel_id = l.channel_id
                             AND d.state IN {PENDING_STATES})"
        ))
        .execute(&self.pool)
        .await?;
        Ok(woken.rows_affected())
    }

    /// When the next lane may become claimable (for the workers' sleep).
    pub async fn next_lane_time(&self, pace: Pace) -> Result<Option<DateTime<Utc>>, StoreError> {
        let window = interval_sql(burst_window(pace.channel_interval, pace.channel_burst));
        // Only the lanes readiest by pace and due time are looked at (by index), so the
        // cost does not grow with the number of lanes. Should all of those be leased or
        // paused, the answer is later than the truth; the sleep is bounded by the poll
        // interval and cut short by wake-ups and finished attempts.
        Ok(sqlx::query_scalar(&format!(
            "SELECT min(GREATEST(l.next_due, l.tat - interval '{window}',
                                 COALESCE(l.lease_expire_time, l.next_due),
                                 COALESCE(w.paused_until, l.next_due)))
             FROM (SELECT * FROM channel_lanes WHERE ready_time IS NOT NULL
                   ORDER BY ready_time LIMIT {NEXT_LANE_CANDIDATES}) l
             LEFT JOIN workspace_limits w ON w.workspace_id = l.workspace_id"
        ))
        .fetch_one(&self.pool)
        .await?)
    }

    /// Deliveries waiting to go out, across every replica.
    pub async fn queue_depth(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT count(*) FROM deliveries WHERE state IN {PENDING_STATES}"
        ))
        .fetch_one(&self.pool)
        .await?)
    }

    /// The state of a delivery, for callers waiting on it.
    pub async fn delivery_state(
        &self,
        id: DeliveryId,
    ) -> Result<Option<DeliveryState>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT state FROM deliveries WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

/// Keeps the lanes whose workspace is within its cap; gives the others back untouched
/// (their channel pace step undone).
async fn within_workspace_cap(
    conn: &mut PgConnection,
    lanes: Vec<(String, String, i64)>,
    (interval, burst): (Duration, u32),
    channel_interval: Duration,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut kept = Vec::with_capacity(lanes.len());
    for (workspace, channel, epoch) in lanes {
        let allowed: Option<i32> = sqlx::query_scalar(&format!(
            "INSERT INTO workspace_limits (workspace_id, tat) VALUES ($1, now() + interval '{step}')
             ON CONFLICT (workspace_id) DO UPDATE
             SET tat = GREATEST(workspace_limits.tat, now()) + interval '{step}'
             WHERE workspace_limits.tat <= now() + interval '{window}'
             RETURNING 1",
            step = interval_sql(interval),
            window = interval_sql(burst_window(interval, burst)),
        ))
        .bind(&workspace)
        .fetch_optional(&mut *conn)
        .await?;
        if allowed.is_some() {
            kept.push((workspace, channel, epoch));
        } else {
            sqlx::query(&format!(
                "UPDATE channel_lanes SET lease_owner = NULL, lease_expire_time = NULL,
                     tat = tat - interval '{step}', pace_ready = pace_ready - interval '{step}'
                 WHERE workspace_id = $1 AND channel_id = $2",
                step = interval_sql(channel_interval),
            ))
            .bind(&workspace)
            .bind(&channel)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(kept)
}
