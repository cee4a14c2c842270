//! Events derived from the rows a change touched, for the store's write paths: each hook
//! runs inside the transaction of its change and appends what that change means.

use sqlx::{FromRow, PgConnection, Postgres, postgres::PgArguments, query::QueryAs};
use uuid::Uuid;

use super::{
    StoreError,
    event_log::{NewEvent, append_for, append_many},
};
use crate::domain::{
    Condition, DeliveryId, DeliveryState, EventPayload, IntegrationId, IntegrationStatus, TeamId,
    event::{
        ChannelStateChanged, DeliveryFailed, DeliverySent, IntegrationStatusChanged, status_name,
    },
};

/// Locks the integration and tells its status, to compare with after a change
/// (`status_changed`). `None` when it does not exist.
pub async fn status_before(
    conn: &mut PgConnection,
    id: IntegrationId,
) -> Result<Option<IntegrationStatus>, StoreError> {
    Ok(status_of(conn, id, true).await?.map(|(_, status)| status))
}

async fn status_of(
    conn: &mut PgConnection,
    id: IntegrationId,
    lock: bool,
) -> Result<Option<(TeamId, IntegrationStatus)>, StoreError> {
    let sql = if lock {
        "SELECT team_id, enabled, condition FROM integrations WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT team_id, enabled, condition FROM integrations WHERE id = $1"
    };
    let row: Option<(String, bool, String)> = sqlx::query_as(sql)
        .bind(id.as_uuid())
        .fetch_optional(conn)
        .await?;
    Ok(row.and_then(|(team, enabled, condition)| {
        let condition = Condition::parse(&condition)?;
        Some((
            TeamId::from_trusted(team),
            IntegrationStatus::derive(enabled, condition),
        ))
    }))
}

/// Appends `integration.status_changed` when the integration's status now differs from
/// `before` (taken by `status_before` in the same transaction).
pub async fn status_changed(
    conn: &mut PgConnection,
    id: IntegrationId,
    before: Option<IntegrationStatus>,
    reason: &str,
) -> Result<(), StoreError> {
    let (Some(before), Some((team, after))) = (before, status_of(conn, id, false).await?) else {
        return Ok(());
    };
    if before == after {
        return Ok(());
    }
    let payload = EventPayload::IntegrationStatusChanged(IntegrationStatusChanged {
        from: status_name(before).to_owned(),
        to: status_name(after).to_owned(),
        reason: reason.to_owned(),
    });
    append_for(conn, &team, id, payload).await
}

/// A notification channel as a statement changed it: `RETURNING` these columns (see
/// `CHANNEL_CHANGE`), with `from` and `old_name` read before the change.
#[derive(FromRow)]
pub struct ChannelChange {
    integration_id: Uuid,
    team_id: String,
    channel_id: String,
    channel_name: String,
    old_name: String,
    from: String,
    to: String,
}

/// What a statement changing notification channels returns for `channel_changes`, given
/// the changed row as `nc`, its integration as `i` and the row before the change as `old`.
const CHANNEL_CHANGE: &str = "nc.integration_id, i.team_id, nc.channel_id, nc.channel_name,
     old.channel_name AS old_name, old.state AS \"from\", nc.state AS \"to\"";

/// The statement for `channel_changes` that applies `set` to the notification channels
/// `old` selects and locks (their `integration_id, channel_name, state` before the change).
pub fn update_channels(old: &str, set: &str) -> String {
    format!(
        "WITH old AS ({old})
         UPDATE notification_channels nc SET {set}, update_time = now()
         FROM old, integrations i
         WHERE nc.integration_id = old.integration_id AND i.id = nc.integration_id
         RETURNING {CHANNEL_CHANGE}"
    )
}

/// Runs `update` (an `update_channels` statement, bound) and appends `channel.state_changed`
/// for each channel whose state or name it changed. Returns how many channels it matched.
pub async fn channel_changes(
    conn: &mut PgConnection,
    update: QueryAs<'_, Postgres, ChannelChange, PgArguments>,
) -> Result<usize, StoreError> {
    let changes = update.fetch_all(&mut *conn).await?;
    let touched = changes.len();
    for change in changes {
        if change.from == change.to && change.old_name == change.channel_name {
            continue;
        }
        let payload = EventPayload::ChannelStateChanged(ChannelStateChanged {
            channel_id: change.channel_id,
            channel_name: change.channel_name,
            from: change.from,
            to: change.to,
        });
        let team = TeamId::from_trusted(change.team_id);
        let id = IntegrationId::from_uuid(change.integration_id);
        append_for(&mut *conn, &team, id, payload).await?;
    }
    Ok(touched)
}

/// Integrations as a statement changed them: `RETURNING i.id, i.team_id, old.enabled,
/// old.condition` with `old` the row before the change.
pub type ConditionChange = (Uuid, String, bool, String);

/// Appends `integration.status_changed` for each changed integration whose status moved.
pub async fn condition_changes(
    conn: &mut PgConnection,
    changes: &[ConditionChange],
    reason: &str,
) -> Result<(), StoreError> {
    for (id, _, enabled, condition) in changes {
        let before = Condition::parse(condition).map(|c| IntegrationStatus::derive(*enabled, c));
        status_changed(&mut *conn, IntegrationId::from_uuid(*id), before, reason).await?;
    }
    Ok(())
}

/// Appends `delivery.sent` or `delivery.failed` for each of `deliveries` whose outcome
/// just recorded is final (the others are skipped). The permalink is left empty: asking
/// Slack for it would put a call on the delivery's hot path.
pub async fn deliveries_finished(
    conn: &mut PgConnection,
    deliveries: &[DeliveryId],
) -> Result<(), StoreError> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT d.id, d.team_id, d.integration_id, d.internal_message_id, d.channel_id, d.kind,
             d.state, d.slack_ts, d.thread_ts, d.last_error, d.attempts
         FROM unnest($1::uuid[]) WITH ORDINALITY AS f(id, n)
         JOIN deliveries d ON d.id = f.id
         WHERE d.state IN ($2, $3)
         ORDER BY f.n",
    )
    .bind(deliveries)
    .bind(DeliveryState::Sent)
    .bind(DeliveryState::Failed)
    .fetch_all(&mut *conn)
    .await?;
    let events = rows.into_iter().map(finished_event).collect();
    append_many(conn, events).await
}

fn finished_event(row: DeliveryRow) -> NewEvent {
    let delivery_id = row.id.to_string();
    let payload = if row.state == DeliveryState::Sent {
        EventPayload::DeliverySent(DeliverySent {
            delivery_id,
            internal_message_id: row.internal_message_id,
            channel_id: row.channel_id,
            slack_ts: row.slack_ts.unwrap_or_default(),
            thread_ts: row.thread_ts.unwrap_or_default(),
            permalink: String::new(),
            kind: row.kind,
        })
    } else {
        EventPayload::DeliveryFailed(DeliveryFailed {
            delivery_id,
            internal_message_id: row.internal_message_id,
            channel_id: row.channel_id,
            reason: row.last_error.unwrap_or_default(),
            attempts: row.attempts,
            kind: row.kind,
        })
    };
    NewEvent {
        team_id: TeamId::from_trusted(row.team_id),
        integration_id: Some(IntegrationId::from_uuid(row.integration_id)),
        payload,
    }
}

#[derive(FromRow)]
struct DeliveryRow {
    id: Uuid,
    team_id: String,
    integration_id: Uuid,
    internal_message_id: String,
    channel_id: String,
    kind: String,
    state: DeliveryState,
    slack_ts: Option<String>,
    thread_ts: Option<String>,
    last_error: Option<String>,
    attempts: i32,
}
