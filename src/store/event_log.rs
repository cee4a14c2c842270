//! The durable event log. Events are appended inside the transaction of the change they
//! report, so an event exists if and only if its change was committed.
//!
//! Order is (tx_id, seq): the writing transaction's id, then the sequence. Readers only see
//! rows with `tx_id < pg_snapshot_xmin(pg_current_snapshot())`: every transaction below the
//! snapshot's xmin has ended, so no row can later appear before that point, even when two
//! replicas commit out of sequence order. That is what makes a cursor safe to resume from.
//! The price: a long open transaction anywhere in the cluster holds xmin back and delays
//! visibility of every newer event until it ends.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use super::{Store, StoreError, retrying};
use crate::domain::{EventCursor, EventPayload, IntegrationId, TeamId};

/// Postgres notification channel raised (at commit) by every append, so streams wake at once.
pub const EVENTS_CHANNEL: &str = "switchboard_events";

/// An event to append.
pub struct NewEvent {
    pub team_id: TeamId,
    pub integration_id: Option<IntegrationId>,
    pub payload: EventPayload,
}

/// An event as stored, with its position in the log.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub id: Uuid,
    pub cursor: EventCursor,
    pub team_id: String,
    pub integration_id: Option<Uuid>,
    pub payload: EventPayload,
    pub create_time: DateTime<Utc>,
}

/// Which events a reader wants: one team's (or every team's), of some types (or all).
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub team_id: Option<TeamId>,
    /// Type names; empty means every type.
    pub types: Vec<String>,
}

/// What a read found.
#[derive(Debug)]
pub enum EventsRead {
    Events(Vec<StoredEvent>),
    /// Retention removed events after the cursor: the reader must resync.
    Expired,
}

/// Appends `event` inside the caller's transaction (`conn` must be one).
pub async fn append(conn: &mut PgConnection, event: NewEvent) -> Result<(), StoreError> {
    append_many(conn, vec![event]).await
}

/// Appends `events`, in order, inside the caller's transaction: one statement and one
/// notification however many there are.
pub async fn append_many(conn: &mut PgConnection, events: Vec<NewEvent>) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut teams = Vec::with_capacity(events.len());
    let mut integrations = Vec::with_capacity(events.len());
    let mut types = Vec::with_capacity(events.len());
    let mut payloads = Vec::with_capacity(events.len());
    for event in &events {
        teams.push(event.team_id.as_str());
        integrations.push(event.integration_id.map(|id| id.as_uuid()));
        types.push(event.payload.type_name());
        payloads.push(
            serde_json::to_value(&event.payload)
                .map_err(|err| StoreError::Internal(sqlx::Error::Encode(Box::new(err))))?,
        );
    }
    let ids: Vec<Uuid> = events.iter().map(|_| Uuid::new_v4()).collect();
    // ORDER BY ordinality: `seq` follows the order given.
    sqlx::query(
        "INSERT INTO events (id, team_id, integration_id, type, payload)
         SELECT id, team_id, integration_id, type, payload
         FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::jsonb[])
              WITH ORDINALITY AS e(id, team_id, integration_id, type, payload, n)
         ORDER BY n",
    )
    .bind(&ids)
    .bind(&teams)
    .bind(&integrations)
    .bind(&types)
    .bind(&payloads)
    .execute(&mut *conn)
    .await?;
    // Delivered at commit, and only then; repeats within one transaction are folded.
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(EVENTS_CHANNEL)
        .execute(conn)
        .await?;
    Ok(())
}

/// Appends an event about `integration` of `team`.
pub async fn append_for(
    conn: &mut PgConnection,
    team: &TeamId,
    integration: IntegrationId,
    payload: EventPayload,
) -> Result<(), StoreError> {
    let event = NewEvent {
        team_id: team.clone(),
        integration_id: Some(integration),
        payload,
    };
    append(conn, event).await
}

/// The columns of a `StoredEvent`, in its order.
const COLUMNS: &str = "id, tx_id::text::bigint, seq, team_id, integration_id, payload, create_time";

type EventRow = (
    Uuid,
    i64,
    i64,
    String,
    Option<Uuid>,
    sqlx::types::Json<EventPayload>,
    DateTime<Utc>,
);

fn from_row(row: EventRow) -> StoredEvent {
    let (id, tx_id, seq, team_id, integration_id, payload, create_time) = row;
    StoredEvent {
        id,
        cursor: EventCursor { tx_id, seq },
        team_id,
        integration_id,
        payload: payload.0,
        create_time,
    }
}

fn push_after(query: &mut QueryBuilder<'_, Postgres>, after: EventCursor) {
    query
        .push(" AND (tx_id, seq) > (")
        .push_bind(after.tx_id.to_string())
        .push("::xid8, ")
        .push_bind(after.seq)
        .push(")");
}

impl Store {
    /// Up to `limit` events after `after` in log order, only from transactions that have
    /// all ended (see the module comment), so nothing read past can appear behind it.
    pub async fn read_events(
        &self,
        after: EventCursor,
        filter: &EventFilter,
        limit: i64,
    ) -> Result<EventsRead, StoreError> {
        retrying("read_events", || async move {
            // One snapshot for the horizon and the rows: retention cannot slip in between.
            let mut tx = self.pool.begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
            let (horizon_tx, horizon_seq): (i64, i64) =
                sqlx::query_as("SELECT tx_id::text::bigint, seq FROM event_log_horizon")
                    .fetch_one(&mut *tx)
                    .await?;
            let horizon = EventCursor {
                tx_id: horizon_tx,
                seq: horizon_seq,
            };
            if after != EventCursor::START && after < horizon {
                return Ok(EventsRead::Expired);
            }
            let mut query = QueryBuilder::new(format!(
                "SELECT {COLUMNS} FROM events
                 WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())"
            ));
            push_after(&mut query, after);
            if let Some(team) = &filter.team_id {
                query
                    .push(" AND team_id = ")
                    .push_bind(team.as_str().to_owned());
            }
            if !filter.types.is_empty() {
                query
                    .push(" AND type = ANY(")
                    .push_bind(filter.types.clone())
                    .push(")");
            }
            query.push(" ORDER BY tx_id, seq LIMIT ").push_bind(limit);
            let rows: Vec<EventRow> = query.build_query_as().fetch_all(&mut *tx).await?;
            tx.commit().await?;
            Ok(EventsRead::Events(rows.into_iter().map(from_row).collect()))
        })
        .await
    }

    /// Removes up to `batch` events older than `age` from the start of the log (in log
    /// order, stopping at the first younger one, so the horizon is exact) and moves the
    /// horizon to the last one removed. Returns how many it removed.
    pub async fn remove_events_older_than(
        &self,
        age: Duration,
        batch: i64,
    ) -> Result<u64, StoreError> {
        let cutoff = Utc::now() - chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX);
        retrying("remove_events_older_than", || async move {
            let mut tx = self.pool.begin().await?;
            let head: Vec<(Uuid, i64, i64, DateTime<Utc>)> = sqlx::query_as(
                "SELECT id, tx_id::text::bigint, seq, create_time FROM events
                 WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())
                 ORDER BY tx_id, seq LIMIT $1 FOR UPDATE",
            )
            .bind(batch)
            .fetch_all(&mut *tx)
            .await?;
            let doomed: Vec<_> = head
                .into_iter()
                .take_while(|(_, _, _, time)| *time < cutoff)
                .collect();
            let Some((_, last_tx, last_seq, _)) = doomed.last().copied() else {
                return Ok(0);
            };
            let ids: Vec<Uuid> = doomed.iter().map(|(id, ..)| *id).collect();
            sqlx::query("DELETE FROM events WHERE id = ANY($1)")
                .bind(&ids)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE event_log_horizon SET tx_id = $1::text::xid8, seq = $2
                 WHERE (tx_id, seq) < ($1::text::xid8, $2)",
            )
            .bind(last_tx.to_string())
            .bind(last_seq)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(ids.len() as u64)
        })
        .await
    }
}

impl Store {
    /// A connection of its own listening for appends (see `EVENTS_CHANNEL`).
    pub async fn listen_events(&self) -> Result<sqlx::postgres::PgListener, StoreError> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        Ok(listener)
    }
}
