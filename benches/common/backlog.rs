//! A backlog queued straight into the outbox with one set-based statement, for sections
//! that need a deep queue to deliver but do not measure how it was queued (through the
//! RPCs, 30,000 messages take minutes on this machine). The rows are what SendMessage
//! stores: each integration's notification channel, a rendered payload, a lane due now.

use sqlx::PgPool;
use uuid::Uuid;

pub const PAYLOAD: &str = r#"{"text": "a queued message", "blocks": null, "unfurl_links": false, "unfurl_media": false, "reply_broadcast": false}"#;

const QUEUE: &str = "
    WITH queued AS (
        INSERT INTO deliveries (id, integration_id, team_id, workspace_id, channel_id, kind,
            internal_message_id, payload, payload_hash)
        SELECT gen_random_uuid(), i.id, i.team_id, i.workspace_id, i.nc_channel_id, 'post',
               $3 || '-' || n, $4::jsonb, sha256(($3 || '-' || n)::bytea)
        FROM unnest($1::uuid[], $2::bigint[]) AS w(id, count)
        JOIN integrations_with_channel i ON i.id = w.id, generate_series(1, w.count) n
        RETURNING workspace_id, channel_id)
    INSERT INTO channel_lanes (workspace_id, channel_id, next_due)
    SELECT DISTINCT workspace_id, channel_id, now() FROM queued
    ON CONFLICT (workspace_id, channel_id)
        DO UPDATE SET next_due = COALESCE(channel_lanes.next_due, now())";

/// Queues `count` messages for each integration (by id), message ids `<label>-<n>`.
pub async fn queue(pool: &PgPool, counts: &[(&str, i64)], label: &str) {
    let ids: Vec<Uuid> = counts
        .iter()
        .map(|(id, _)| Uuid::parse_str(id).expect("an integration id"))
        .collect();
    let numbers: Vec<i64> = counts.iter().map(|&(_, n)| n).collect();
    sqlx::query(QUEUE)
        .bind(&ids)
        .bind(&numbers)
        .bind(label)
        .bind(PAYLOAD)
        .execute(pool)
        .await
        .expect("queue a backlog");
    sqlx::query("VACUUM ANALYZE deliveries")
        .execute(pool)
        .await
        .expect("vacuum");
}
