//! The outbox as the RPCs see it: enqueue (idempotent), read, list.

use super::{Store, StoreError, codec::MESSAGE_KINDS, push_page, retrying};
use crate::domain::{
    ChannelId, ChannelState, Condition, Delivery, DeliveryId, DeliveryKind, DeliveryState,
    IntegrationId, InternalMessageId, MessageType, TeamId, WorkspaceId,
};
use crate::telemetry::TraceContext;
use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, Postgres, QueryBuilder};

/// `pg_notify` channel that wakes delivery workers.
pub const OUTBOX_CHANNEL: &str = "switchboard_outbox";

pub(super) const DELIVERY_COLUMNS: &str = "id, integration_id, team_id, kind, internal_message_id, \
    parent_internal_message_id, message_type, state, channel_id, slack_ts, thread_ts, attempts, \
    last_error, create_time, next_attempt_time, sent_time";

/// A delivery as stored: its enums and UUIDs decoded by the codec, its text ids as read.
#[derive(FromRow)]
pub(super) struct DeliveryRow {
    id: DeliveryId,
    integration_id: IntegrationId,
    team_id: String,
    kind: DeliveryKind,
    internal_message_id: String,
    parent_internal_message_id: Option<String>,
    message_type: Option<String>,
    state: DeliveryState,
    channel_id: String,
    slack_ts: Option<String>,
    thread_ts: Option<String>,
    attempts: i32,
    last_error: Option<String>,
    create_time: DateTime<Utc>,
    next_attempt_time: DateTime<Utc>,
    sent_time: Option<DateTime<Utc>>,
}

/// Nothing can fail here: the codec refused unknown enum spellings while decoding, and the
/// text ids were parsed on their way in.
impl From<DeliveryRow> for Delivery {
    fn from(row: DeliveryRow) -> Self {
        Delivery {
            id: row.id,
            integration_id: row.integration_id,
            team_id: TeamId::from_trusted(row.team_id),
            kind: row.kind,
            internal_message_id: InternalMessageId::from_trusted(row.internal_message_id),
            parent_internal_message_id: row
                .parent_internal_message_id
                .map(InternalMessageId::from_trusted),
            message_type: row.message_type.map(MessageType::from_trusted),
            state: row.state,
            channel_id: ChannelId::from_trusted(row.channel_id),
            slack_ts: row.slack_ts,
            thread_ts: row.thread_ts,
            attempts: row.attempts,
            last_error: row.last_error.map(|raw| {
                let Ok(failure) = raw.parse();
                failure
            }),
            create_time: row.create_time,
            next_attempt_time: row.next_attempt_time,
            sent_time: row.sent_time,
        }
    }
}

pub struct NewDelivery {
    pub id: DeliveryId,
    pub integration_id: IntegrationId,
    pub team_id: TeamId,
    pub workspace_id: WorkspaceId,
    pub channel_id: ChannelId,
    pub kind: DeliveryKind,
    pub internal_message_id: InternalMessageId,
    pub parent_internal_message_id: Option<InternalMessageId>,
    pub message_type: Option<MessageType>,
    pub payload: serde_json::Value,
    pub payload_hash: Vec<u8>,
    /// For an update or delete: the post or reply it changes.
    pub target_delivery_id: Option<DeliveryId>,
    /// The trace of the call that queued it: its attempts continue that trace.
    pub trace: Option<TraceContext>,
}

pub enum Enqueued {
    Created(Delivery),
    /// The same id was sent before with the same payload.
    Existing(Delivery),
    /// The same id was sent before with another payload.
    Conflict(Delivery),
}

/// A post before the integration's channel is known (SendMessage's hot path). Borrows
/// the payload: the caller keeps it for the slower path.
pub struct NewPost<'a> {
    pub id: DeliveryId,
    pub integration_id: IntegrationId,
    pub internal_message_id: InternalMessageId,
    pub message_type: Option<MessageType>,
    pub payload: &'a serde_json::Value,
    pub payload_hash: Vec<u8>,
    /// The trace of the call that queued it: its attempts continue that trace.
    pub trace: Option<TraceContext>,
}

/// `wake(at)`: when a lane woken by a new delivery is due. Not now, but at the head of the
/// claim order (the earliest ready time of any lane, if that is earlier): when the
/// workers are behind, a channel that was idle, within its pace, goes out next instead of
/// queueing behind the backlog of busier channels, so one team's flood cannot delay
/// another's messages. Its pace still decides when it may post.
pub(super) const WAKE: &str = "wake AS (
    SELECT LEAST(now(), min(ready_time)) AS at FROM channel_lanes WHERE ready_time IS NOT NULL)";

/// The lane bookkeeping of a committed delivery, and the delivery as stored.
pub(super) async fn finish_enqueue(
    conn: &mut PgConnection,
    id: DeliveryId,
    workspace_id: &WorkspaceId,
    channel_id: &ChannelId,
) -> Result<Delivery, StoreError> {
    // An empty lane becomes due (and the workers are woken); a busy one keeps its head's
    // time and needs no wake-up. NOTIFY serializes commits, so it is only sent when it
    // tells the workers something.
    sqlx::query(&format!(
        "WITH {WAKE},
         lane AS (
             INSERT INTO channel_lanes (workspace_id, channel_id, next_due)
             VALUES ($1, $2, (SELECT at FROM wake))
             ON CONFLICT (workspace_id, channel_id)
             DO UPDATE SET next_due = COALESCE(channel_lanes.next_due, (SELECT at FROM wake))
             RETURNING next_due = (SELECT at FROM wake) AS woke)
         SELECT pg_notify($3, '') FROM lane WHERE woke",
    ))
    .bind(workspace_id)
    .bind(channel_id)
    .bind(OUTBOX_CHANNEL)
    .execute(&mut *conn)
    .await?;
    fetch(conn, id)
        .await?
        .ok_or(StoreError::Internal(sqlx::Error::RowNotFound))
}

/// The post or reply this idempotency key already made (of `team`, when given).
async fn existing(
    conn: &mut PgConnection,
    integration_id: IntegrationId,
    internal_message_id: &InternalMessageId,
    payload_hash: &[u8],
    team: Option<&TeamId>,
) -> Result<Option<Enqueued>, StoreError> {
    let found: Option<(DeliveryId, Vec<u8>)> = sqlx::query_as(&format!(
        "SELECT id, payload_hash FROM deliveries
         WHERE integration_id = $1 AND internal_message_id = $2 AND kind IN {MESSAGE_KINDS}
           AND ($3::text IS NULL OR team_id = $3)"
    ))
    .bind(integration_id)
    .bind(internal_message_id)
    .bind(team)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, hash)) = found else {
        return Ok(None);
    };
    let delivery = fetch(conn, id)
        .await?
        .ok_or(StoreError::Internal(sqlx::Error::RowNotFound))?;
    Ok(Some(if hash == payload_hash {
        Enqueued::Existing(delivery)
    } else {
        Enqueued::Conflict(delivery)
    }))
}

pub(super) async fn fetch(
    conn: &mut PgConnection,
    id: DeliveryId,
) -> Result<Option<Delivery>, StoreError> {
    let row: Option<DeliveryRow> = sqlx::query_as(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Delivery::from))
}

/// Inserts the delivery; `None` when a post or reply with its message id exists.
pub(super) async fn insert(
    conn: &mut PgConnection,
    new: &NewDelivery,
) -> Result<Option<DeliveryId>, StoreError> {
    Ok(sqlx::query_scalar(&format!(
        "INSERT INTO deliveries (id, integration_id, team_id, workspace_id, channel_id,
             kind, internal_message_id, parent_internal_message_id, message_type,
             payload, payload_hash, target_delivery_id, traceparent, tracestate)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (integration_id, internal_message_id)
             WHERE kind IN {MESSAGE_KINDS} DO NOTHING
         RETURNING id"
    ))
    .bind(new.id)
    .bind(new.integration_id)
    .bind(&new.team_id)
    .bind(&new.workspace_id)
    .bind(&new.channel_id)
    .bind(new.kind)
    .bind(&new.internal_message_id)
    .bind(&new.parent_internal_message_id)
    .bind(&new.message_type)
    .bind(&new.payload)
    .bind(&new.payload_hash)
    .bind(new.target_delivery_id)
    .bind(new.trace.as_ref().map(|t| &t.traceparent))
    .bind(new.trace.as_ref().and_then(|t| t.tracestate.as_ref()))
    .fetch_optional(conn)
    .await?)
}

/// Holds the message a reply (its parent) or an edit (its target) needs until this
/// transaction ends, so retention cannot remove it meanwhile; `false` when it is gone
/// already. `FOR KEY SHARE`: the workers' updates of that row do not wait for it.
pub(super) async fn hold_message(
    conn: &mut PgConnection,
    new: &NewDelivery,
) -> Result<bool, StoreError> {
    let held: Option<i32> = match (&new.parent_internal_message_id, new.target_delivery_id) {
        (Some(parent), _) => {
            sqlx::query_scalar(&format!(
                "SELECT 1 FROM deliveries
                 WHERE integration_id = $1 AND internal_message_id = $2 AND kind IN {MESSAGE_KINDS}
                 FOR KEY SHARE"
            ))
            .bind(new.integration_id)
            .bind(parent)
            .fetch_optional(conn)
            .await?
        }
        (None, Some(target)) => {
            sqlx::query_scalar("SELECT 1 FROM deliveries WHERE id = $1 FOR KEY SHARE")
                .bind(target)
                .fetch_optional(conn)
                .await?
        }
        (None, None) => Some(1),
    };
    Ok(held.is_some())
}

impl Store {
    /// Commits the delivery (or finds the one this id already made) and wakes the workers.
    /// `None` when the message it replies to is gone (removed by retention since the
    /// caller looked it up).
    pub async fn enqueue(&self, new: &NewDelivery) -> Result<Option<Enqueued>, StoreError> {
        retrying("enqueue", || async move {
            let mut tx = self.pool.begin().await?;
            let inserted = insert(&mut tx, new).await?;
            let outcome = match inserted {
                Some(_) if !hold_message(&mut tx, new).await? => return Ok(None),
                Some(id) => Enqueued::Created(
                    finish_enqueue(&mut tx, id, &new.workspace_id, &new.channel_id).await?,
                ),
                None => existing(
                    &mut tx,
                    new.integration_id,
                    &new.internal_message_id,
                    &new.payload_hash,
                    None,
                )
                .await?
                .ok_or(StoreError::Internal(sqlx::Error::RowNotFound))?,
            };
            tx.commit().await?;
            Ok(Some(outcome))
        })
        .await
    }

    /// A post on its own: one statement checks that the integration is ACTIVE, belongs to
    /// `team` (when given) and has a READY notification channel, and inserts the post into
    /// that channel's lane; or finds what its id made before. `None` when the integration
    /// is not eligible (the caller then finds out why). For the posts a batch did not take
    /// (`post_batch.rs`).
    pub(super) async fn enqueue_post_alone(
        &self,
        post: &NewPost<'_>,
        team: Option<&TeamId>,
    ) -> Result<Option<Enqueued>, StoreError> {
        retrying("enqueue_post", || async move {
            let mut tx = self.pool.begin().await?;
            let inserted: Option<(DeliveryId, String, String)> = sqlx::query_as(&format!(
                "INSERT INTO deliveries (id, integration_id, team_id, workspace_id, channel_id,
                     kind, internal_message_id, message_type, payload, payload_hash,
                     traceparent, tracestate)
                 SELECT $1, i.id, i.team_id, i.workspace_id, i.nc_channel_id, $8, $3, $4, $5, $6,
                        $11, $12
                 FROM integrations_with_channel i
                 WHERE i.id = $2 AND i.enabled AND i.condition = $9 AND i.nc_state = $10
                   AND ($7::text IS NULL OR i.team_id = $7)
                 ON CONFLICT (integration_id, internal_message_id)
                     WHERE kind IN {MESSAGE_KINDS} DO NOTHING
                 RETURNING id, workspace_id, channel_id"
            ))
            .bind(post.id)
            .bind(post.integration_id)
            .bind(&post.internal_message_id)
            .bind(&post.message_type)
            .bind(post.payload)
            .bind(&post.payload_hash)
            .bind(team)
            .bind(DeliveryKind::Post)
            .bind(Condition::Healthy)
            .bind(ChannelState::Ready)
            .bind(post.trace.as_ref().map(|t| &t.traceparent))
            .bind(post.trace.as_ref().and_then(|t| t.tracestate.as_ref()))
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match inserted {
                Some((id, workspace, channel)) => Some(Enqueued::Created(
                    finish_enqueue(
                        &mut tx,
                        id,
                        &WorkspaceId::from_trusted(workspace),
                        &ChannelId::from_trusted(channel),
                    )
                    .await?,
                )),
                None => {
                    existing(
                        &mut tx,
                        post.integration_id,
                        &post.internal_message_id,
                        &post.payload_hash,
                        team,
                    )
                    .await?
                }
            };
            tx.commit().await?;
            Ok(outcome)
        })
        .await
    }

    pub async fn get_delivery(&self, id: DeliveryId) -> Result<Option<Delivery>, StoreError> {
        retrying("get_delivery", || async move {
            let mut conn = self.pool.acquire().await?;
            fetch(&mut conn, id).await
        })
        .await
    }

    /// A post or reply by the caller's id.
    pub async fn find_message(
        &self,
        integration_id: IntegrationId,
        internal_message_id: &InternalMessageId,
    ) -> Result<Option<Delivery>, StoreError> {
        retrying("find_message", || async move {
            let row: Option<DeliveryRow> = sqlx::query_as(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries
                 WHERE integration_id = $1 AND internal_message_id = $2
                   AND kind IN {MESSAGE_KINDS}"
            ))
            .bind(integration_id)
            .bind(internal_message_id)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(Delivery::from))
        })
        .await
    }

    pub async fn list_deliveries(
        &self,
        integration_id: IntegrationId,
        state: Option<DeliveryState>,
        after: Option<(DateTime<Utc>, DeliveryId)>,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        retrying("list_deliveries", || async move {
            let mut query = QueryBuilder::<Postgres>::new(format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE integration_id = "
            ));
            query.push_bind(integration_id);
            if let Some(state) = state {
                query.push(" AND state = ").push_bind(state);
            }
            push_page(&mut query, after, limit);
            let rows: Vec<DeliveryRow> = query.build_query_as().fetch_all(&self.pool).await?;
            Ok(rows.into_iter().map(Delivery::from).collect())
        })
        .await
    }
}
