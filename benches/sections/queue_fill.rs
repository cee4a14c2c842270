//! Set-based fills for the queue-cost section: lanes, queued deliveries and finished history
//! made by `INSERT ... SELECT generate_series` with the columns and constraints of the
//! `deliveries` and `channel_lanes` tables, in chunks, then vacuumed and analysed.

use std::time::Instant;

use sqlx::PgPool;

use crate::common::backlog::PAYLOAD;

/// Channels (one lane each) of every scenario, over 1,000 integrations in 500 workspaces.
pub const CHANNELS: i64 = 10_000;
pub const INTEGRATIONS: i64 = 1_000;
const CHANNELS_PER_WORKSPACE: i64 = 20;
const CHUNK: i64 = 1_000_000;

/// Integration i's id: the same in every scenario, and from SQL and Rust alike.
pub const INTEGRATION_IDS: &str =
    "SELECT md5('bench-integration-' || i)::uuid FROM generate_series(0, $1 - 1) i ORDER BY i";

/// Row n (of `$9` rows) goes to channel n % CHANNELS, of integration n % INTEGRATIONS (so
/// a channel always has the same integration), in workspace channel / 20. `$8` is 'queued'
/// or 'sent'; a sent row has Slack's ts. Rows are created 250 ms apart up to now (10,000,000
/// span 29 days).
///
/// Rows are inserted in the order of every index that can follow it, so a fill of millions
/// appends to them instead of rewriting random pages: ids spread evenly over the whole UUID
/// space in ascending order (a random v4 id later lands anywhere among them, as in
/// production), message ids zero-padded, times ascending.
const DELIVERIES: &str = "
    INSERT INTO deliveries (id, integration_id, team_id, workspace_id, channel_id, kind,
        internal_message_id, payload, payload_hash, state, slack_ts, attempts,
        create_time, next_attempt_time, sent_time)
    SELECT (lpad(to_hex((n * 18446744073709551616::numeric / $9 - 9223372036854775808)::bigint),
                 16, '0') || left(md5($6 || n), 16))::uuid,
           md5('bench-integration-' || (n % $4))::uuid,
           'team-' || (n % $4),
           'TQ' || ((n % $3) / $5),
           'CQ' || (n % $3),
           'post', $6 || lpad(n::text, 10, '0'), $7::jsonb, sha256(($6 || n)::bytea),
           $8,
           CASE WHEN $8 = 'sent' THEN '1700000000.' || lpad((n % 1000000)::text, 6, '0') END,
           CASE WHEN $8 = 'sent' THEN 1 ELSE 0 END,
           now() - ($9 - n) * interval '250 milliseconds',
           now() - ($9 - n) * interval '250 milliseconds',
           CASE WHEN $8 = 'sent' THEN now() - ($9 - n) * interval '250 milliseconds' END
    FROM generate_series($1, $2) n";

/// Every lane due, the oldest first, none leased.
const LANES: &str = "
    INSERT INTO channel_lanes (workspace_id, channel_id, next_due)
    SELECT 'TQ' || (c / $2), 'CQ' || c, now() - interval '1 hour' + c * interval '1 millisecond'
    FROM generate_series(0, $1 - 1) c";

async fn deliveries(pool: &PgPool, count: i64, label: &str, state: &str) {
    let mut from = 0;
    while from < count {
        let to = (from + CHUNK).min(count) - 1;
        sqlx::query(DELIVERIES)
            .bind(from)
            .bind(to)
            .bind(CHANNELS)
            .bind(INTEGRATIONS)
            .bind(CHANNELS_PER_WORKSPACE)
            .bind(format!("{label}-"))
            .bind(PAYLOAD)
            .bind(state)
            .bind(count)
            .execute(pool)
            .await
            .expect("fill deliveries");
        from = to + 1;
        if count > CHUNK {
            println!("  ... {from} of {count} {state} rows");
        }
    }
}

/// Lanes, `history` finished deliveries (older), then `queued` ones; the seconds it took.
pub async fn fill(pool: &PgPool, queued: i64, history: i64) -> f64 {
    let started = Instant::now();
    sqlx::query(LANES)
        .bind(CHANNELS)
        .bind(CHANNELS_PER_WORKSPACE)
        .execute(pool)
        .await
        .expect("fill lanes");
    deliveries(pool, history, "history", "sent").await;
    deliveries(pool, queued, "queued", "queued").await;
    for table in ["deliveries", "channel_lanes"] {
        sqlx::query(&format!("VACUUM ANALYZE {table}"))
            .execute(pool)
            .await
            .expect("vacuum");
    }
    started.elapsed().as_secs_f64()
}
