//! SendMessage's hot path, group-committed: the posts of concurrent calls go into the outbox
//! in one statement and one transaction (`group_commit.rs`). A post the batch did not
//! insert (its integration is not eligible, or its id was used before) is answered `None`,
//! and its caller takes the one-row path, which finds out why.

use sqlx::{FromRow, PgPool};

use tracing::Instrument;

use super::{
    Store, StoreError,
    codec::MESSAGE_KINDS,
    deliveries::{DELIVERY_COLUMNS, DeliveryRow, Enqueued, NewPost, OUTBOX_CHANNEL, WAKE},
    operation_span, retry_transient, retrying,
};
use crate::domain::{
    ChannelState, Condition, Delivery, DeliveryId, DeliveryKind, IntegrationId, TeamId,
};

/// Posts per transaction at most.
pub(super) const MAX_BATCH: usize = 256;
/// Batch transactions in flight at once; more callers wait for the next batch.
pub(super) const FLUSHES: usize = 4;

/// A post waiting for its batch (owned: it crosses to the flushing task).
pub(super) struct PendingPost {
    id: DeliveryId,
    integration_id: IntegrationId,
    internal_message_id: String,
    message_type: Option<String>,
    payload: serde_json::Value,
    payload_hash: Vec<u8>,
    team: Option<String>,
    traceparent: Option<String>,
    tracestate: Option<String>,
}

impl PendingPost {
    pub fn new(post: &NewPost<'_>, team: Option<&TeamId>) -> Self {
        Self {
            id: post.id,
            integration_id: post.integration_id,
            internal_message_id: post.internal_message_id.to_string(),
            message_type: post.message_type.as_ref().map(ToString::to_string),
            payload: post.payload.clone(),
            payload_hash: post.payload_hash.clone(),
            team: team.map(ToString::to_string),
            traceparent: post.trace.as_ref().map(|t| t.traceparent.clone()),
            tracestate: post.trace.as_ref().and_then(|t| t.tracestate.clone()),
        }
    }
}

#[derive(FromRow)]
struct InsertedRow {
    #[sqlx(flatten)]
    delivery: DeliveryRow,
    woke: Option<bool>,
}

/// Inserts the eligible posts of `batch` and wakes the workers if a lane became due; the
/// delivery of each inserted post, `None` for the others. A batch that keeps failing
/// answers `None` throughout: every caller then tries alone and hears its own error.
pub(super) async fn insert_posts(pool: PgPool, batch: Vec<PendingPost>) -> Vec<Option<Delivery>> {
    let inserted = retry_transient("enqueue_posts", || insert_once(&pool, &batch)).await;
    let rows = match inserted {
        Ok(rows) => rows,
        Err(err) => {
            tracing::warn!(error = %err, posts = batch.len(), "batched enqueue failed; each post goes alone");
            Vec::new()
        }
    };
    answer(&batch, rows)
}

async fn insert_once(pool: &PgPool, batch: &[PendingPost]) -> Result<Vec<Delivery>, StoreError> {
    let mut tx = pool.begin().await?;
    // Rows go in in the order given (one BatchSendMessages request keeps its order in each
    // channel); lanes by name, so that two batches never wait on each other's lane locks
    // in opposite orders. (Two batches repeating each other's ids in opposite orders could
    // deadlock on the idempotency index; Postgres breaks that and the batch is retried.)
    let rows: Vec<InsertedRow> = sqlx::query_as(&format!(
        "WITH input AS (
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[],
                                  $6::bytea[], $7::text[], $8::text[], $9::text[])
                 WITH ORDINALITY
                 AS x(id, integration_id, internal_message_id, message_type, payload,
                      payload_hash, team_id, traceparent, tracestate, n)),
         inserted AS (
             INSERT INTO deliveries (id, integration_id, team_id, workspace_id, channel_id,
                 kind, internal_message_id, message_type, payload, payload_hash,
                 traceparent, tracestate)
             SELECT x.id, i.id, i.team_id, i.workspace_id, i.nc_channel_id, $10,
                    x.internal_message_id, x.message_type, x.payload, x.payload_hash,
                    x.traceparent, x.tracestate
             FROM input x JOIN integrations_with_channel i ON i.id = x.integration_id
             WHERE i.enabled AND i.condition = $11 AND i.nc_state = $12
               AND (x.team_id IS NULL OR i.team_id = x.team_id)
             ORDER BY x.n
             ON CONFLICT (integration_id, internal_message_id)
                 WHERE kind IN {MESSAGE_KINDS} DO NOTHING
             RETURNING {DELIVERY_COLUMNS}, workspace_id),
         {WAKE},
         lanes AS (
             INSERT INTO channel_lanes (workspace_id, channel_id, next_due)
             SELECT DISTINCT workspace_id, channel_id, (SELECT at FROM wake) FROM inserted
             ORDER BY workspace_id, channel_id
             ON CONFLICT (workspace_id, channel_id)
             DO UPDATE SET next_due = COALESCE(channel_lanes.next_due, (SELECT at FROM wake))
             RETURNING next_due = (SELECT at FROM wake) AS woke)
         SELECT {DELIVERY_COLUMNS}, (SELECT bool_or(woke) FROM lanes) AS woke FROM inserted"
    ))
    .bind(batch.iter().map(|p| p.id).collect::<Vec<_>>())
    .bind(batch.iter().map(|p| p.integration_id).collect::<Vec<_>>())
    .bind(
        batch
            .iter()
            .map(|p| p.internal_message_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        batch
            .iter()
            .map(|p| p.message_type.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(batch.iter().map(|p| &p.payload).collect::<Vec<_>>())
    .bind(
        batch
            .iter()
            .map(|p| p.payload_hash.as_slice())
            .collect::<Vec<_>>(),
    )
    .bind(batch.iter().map(|p| p.team.as_deref()).collect::<Vec<_>>())
    .bind(
        batch
            .iter()
            .map(|p| p.traceparent.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        batch
            .iter()
            .map(|p| p.tracestate.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(DeliveryKind::Post)
    .bind(Condition::Healthy)
    .bind(ChannelState::Ready)
    .fetch_all(&mut *tx)
    .await?;
    // An empty lane became due: one notification for the batch (a busy lane keeps its
    // head's time and needs none). NOTIFY serializes commits, so it is sent only then.
    if rows.iter().any(|row| row.woke == Some(true)) {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(OUTBOX_CHANNEL)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|row| Delivery::from(row.delivery))
        .collect())
}

/// Answers `batch` from the rows inserted: each post's delivery, `None` for the others.
fn answer(batch: &[PendingPost], mut rows: Vec<Delivery>) -> Vec<Option<Delivery>> {
    batch
        .iter()
        .map(|post| {
            let at = rows.iter().position(|row| row.id == post.id)?;
            Some(rows.swap_remove(at))
        })
        .collect()
}

impl Store {
    /// Many posts of one request (BatchSendMessages) in one transaction, in order: each
    /// one's delivery, or `None` for those not taken (then sent alone).
    pub async fn enqueue_posts(
        &self,
        posts: &[NewPost<'_>],
        team: Option<&TeamId>,
    ) -> Result<Vec<Option<Delivery>>, StoreError> {
        let batch: Vec<PendingPost> = posts.iter().map(|p| PendingPost::new(p, team)).collect();
        let rows = retrying("enqueue_posts", || insert_once(&self.pool, &batch)).await?;
        Ok(answer(&batch, rows))
    }

    /// The hot path of SendMessage: the post goes into its integration's notification
    /// channel lane if the integration is ACTIVE, belongs to `team` (when given) and has a
    /// READY channel. `None` when it is not eligible (the caller then finds out why).
    /// Concurrent calls share a transaction; a post the batch did not take goes alone.
    pub async fn enqueue_post(
        &self,
        post: &NewPost<'_>,
        team: Option<&TeamId>,
    ) -> Result<Option<Enqueued>, StoreError> {
        let batched = crate::deadline::within(
            self.post_batches()
                .submit(PendingPost::new(post, team))
                .instrument(operation_span("enqueue_post")),
        )
        .await
        .ok_or(StoreError::Deadline)?;
        if let Some(Some(delivery)) = batched {
            return Ok(Some(Enqueued::Created(delivery)));
        }
        self.enqueue_post_alone(post, team).await
    }
}
