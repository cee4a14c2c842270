//! Goal 1: SendMessage faster than the naive raw insert (each RPC still answering after its
//! row is committed), and BatchSendMessages close to a raw multi-row insert.

use std::{sync::Arc, time::Instant};

use futures::{StreamExt, stream};
use serde_json::{Value, json};
use sqlx::PgPool;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::common::{Bench, Goal, Service, p50_p99, report::count, send};

const MESSAGES: usize = 20_000;
const CALLERS: usize = 64;
/// Interleaved rounds, the order alternating, so that drift on this shared machine
/// (autovacuum, a busy core) weighs on both sides alike.
const ROUNDS: usize = 4;
const BATCH: usize = 500;
const BATCH_ROUNDS: usize = 10;

/// An outbox row as SendMessage stores it, for the raw inserts (not a real delivery: its
/// workspace is `TRAW`, no lane is made, nothing sends it).
struct RawRow {
    id: Uuid,
    integration: Uuid,
    team: String,
    channel: String,
    message_id: String,
    payload: Value,
    hash: Vec<u8>,
}

impl RawRow {
    fn new(integrations: &[Uuid], n: usize, label: &str) -> Self {
        let i = n % integrations.len();
        Self {
            id: Uuid::new_v4(),
            integration: integrations[i],
            team: format!("team-raw-{i}"),
            channel: format!("CRAW{i}"),
            message_id: format!("{label}-{n}"),
            payload: json!({"text": format!("{n}"), "blocks": null, "unfurl_links": false,
                            "unfurl_media": false, "reply_broadcast": false}),
            hash: vec![0; 32],
        }
    }
}

/// The naive path: one INSERT, its own transaction, per row.
const RAW_INSERT: &str = "INSERT INTO deliveries (id, integration_id, team_id, workspace_id, \
     channel_id, kind, internal_message_id, payload, payload_hash) \
     VALUES ($1, $2, $3, 'TRAW', $4, 'post', $5, $6, $7)";

/// The same rows in one statement.
const RAW_MULTI_INSERT: &str = "INSERT INTO deliveries (id, integration_id, team_id, \
     workspace_id, channel_id, kind, internal_message_id, payload, payload_hash) \
     SELECT id, integration_id, team_id, 'TRAW', channel_id, 'post', internal_message_id, \
            payload, payload_hash \
     FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], \
                 $7::bytea[]) \
          AS r(id, integration_id, team_id, channel_id, internal_message_id, payload, payload_hash)";

async fn insert_one_by_one(pool: &PgPool, rows: Vec<RawRow>) {
    stream::iter(rows)
        .map(|row| async move {
            sqlx::query(RAW_INSERT)
                .bind(row.id)
                .bind(row.integration)
                .bind(&row.team)
                .bind(&row.channel)
                .bind(&row.message_id)
                .bind(&row.payload)
                .bind(&row.hash)
                .execute(pool)
                .await
                .expect("raw insert");
        })
        .buffer_unordered(CALLERS)
        .collect::<Vec<_>>()
        .await;
}

async fn insert_in_one_statement(pool: &PgPool, rows: Vec<RawRow>) {
    let mut columns = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for row in rows {
        columns.0.push(row.id);
        columns.1.push(row.integration);
        columns.2.push(row.team);
        columns.3.push(row.channel);
        columns.4.push(row.message_id);
        columns.5.push(row.payload);
        columns.6.push(row.hash);
    }
    sqlx::query(RAW_MULTI_INSERT)
        .bind(columns.0)
        .bind(columns.1)
        .bind(columns.2)
        .bind(columns.3)
        .bind(columns.4)
        .bind(columns.5)
        .bind(columns.6)
        .execute(pool)
        .await
        .expect("raw multi-row insert");
}

/// SendMessage for messages `range` (message n to integration n % fleet size, so each
/// channel's messages are numbered in order); each call's latency, in ms.
async fn send_via_grpc(
    grpc: &Channel,
    fleet: &Arc<Vec<String>>,
    range: std::ops::Range<usize>,
) -> Vec<f64> {
    stream::iter(range)
        .map(|n| {
            let request = send::message(
                &fleet[n % fleet.len()],
                format!("{}", n / fleet.len()),
                format!("enqueue-{n}"),
            );
            let grpc = grpc.clone();
            async move {
                let started = Instant::now();
                send::send(grpc, request).await;
                started.elapsed().as_secs_f64() * 1e3
            }
        })
        .buffer_unordered(CALLERS)
        .collect()
        .await
}

/// Runs `a` and `b` in `rounds` interleaved rounds, alternating which goes first; the
/// total seconds of each and, per round, b's time over a's.
async fn interleaved<A, B>(rounds: usize, mut a: A, mut b: B) -> (f64, f64, Vec<f64>)
where
    A: AsyncFnMut(usize),
    B: AsyncFnMut(usize),
{
    let (mut a_total, mut b_total, mut by_round) = (0.0, 0.0, Vec::with_capacity(rounds));
    for round in 0..rounds {
        let (mut a_time, mut b_time) = (0.0, 0.0);
        for a_turn in [round % 2 == 0, round % 2 == 1] {
            let started = Instant::now();
            if a_turn {
                a(round).await;
                a_time = started.elapsed().as_secs_f64();
            } else {
                b(round).await;
                b_time = started.elapsed().as_secs_f64();
            }
        }
        by_round.push(b_time / a_time);
        a_total += a_time;
        b_total += b_time;
    }
    (a_total, b_total, by_round)
}

fn listed(values: &[f64]) -> String {
    values
        .iter()
        .map(|r| format!("{r:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn run(bench: &mut Bench) {
    bench.clear_queue().await;
    bench.reset_sim(None, std::time::Duration::ZERO);
    let service = Service::start(&bench.db.url, &bench.sim, false).await;
    let fleet = bench.fleet(&service).await;
    let pool = bench.db.pool.clone();
    let raw_integrations: Vec<Uuid> = (0..fleet.len()).map(|_| Uuid::new_v4()).collect();
    let report = &mut bench.report;

    report.section(&format!(
        "1. enqueue: SendMessage, {CALLERS} callers, {} messages, workers off, \
         vs raw one-row-per-transaction INSERTs of the same rows",
        count(MESSAGES as i64)
    ));
    let chunk = MESSAGES / ROUNDS;
    let mut latencies = Vec::with_capacity(MESSAGES);
    let (grpc_time, raw_time, by_round) = interleaved(
        ROUNDS,
        async |round| {
            let range = round * chunk..(round + 1) * chunk;
            latencies.extend(send_via_grpc(&service.grpc, &fleet, range).await);
        },
        async |round| {
            let rows = (round * chunk..(round + 1) * chunk)
                .map(|n| RawRow::new(&raw_integrations, n, "raw"))
                .collect();
            insert_one_by_one(&pool, rows).await;
        },
    )
    .await;
    let (grpc_rate, raw_rate) = (MESSAGES as f64 / grpc_time, MESSAGES as f64 / raw_time);
    let (p50, p99) = p50_p99(&mut latencies);
    report.context("raw one-row INSERT rate", raw_rate, "msg/s");
    report.compared(
        ("SendMessage rate", grpc_rate, "msg/s"),
        raw_rate,
        "SendMessage / raw one-row INSERT",
        Goal::AtLeast(1.5),
    );
    println!(
        "  (raw time / SendMessage time by round: {})",
        listed(&by_round)
    );
    report.context("SendMessage latency p50", p50, "ms");
    report.figure("SendMessage latency p99", p99, "ms", Goal::AtMost(20.0));

    report.section(&format!(
        "1b. enqueue: BatchSendMessages of {BATCH}, one at a time, vs one multi-row INSERT \
         of the same rows"
    ));
    let mut batch_latencies = Vec::with_capacity(BATCH_ROUNDS);
    let (batch_time, multi_time, by_round) = interleaved(
        BATCH_ROUNDS,
        async |round| {
            let requests = (0..BATCH)
                .map(|i| {
                    let n = round * BATCH + i;
                    send::message(
                        &fleet[n % fleet.len()],
                        format!("{n}"),
                        format!("batch-{n}"),
                    )
                })
                .collect();
            let started = Instant::now();
            send::send_batch(service.grpc.clone(), requests).await;
            batch_latencies.push(started.elapsed().as_secs_f64() * 1e3);
        },
        async |round| {
            let rows = (0..BATCH)
                .map(|i| RawRow::new(&raw_integrations, round * BATCH + i, "multi"))
                .collect();
            insert_in_one_statement(&pool, rows).await;
        },
    )
    .await;
    let messages = (BATCH * BATCH_ROUNDS) as f64;
    let (batch_rate, multi_rate) = (messages / batch_time, messages / multi_time);
    report.context("raw multi-row INSERT rate", multi_rate, "msg/s");
    report.compared(
        ("BatchSendMessages rate", batch_rate, "msg/s"),
        multi_rate,
        "BatchSendMessages / raw multi-row INSERT",
        Goal::AtLeast(0.7),
    );
    println!("  (raw time / batch time by round: {})", listed(&by_round));
    let (p50, _) = p50_p99(&mut batch_latencies);
    report.context(format!("BatchSendMessages({BATCH}) latency p50"), p50, "ms");
    report.context(
        "service peak RSS while enqueueing",
        service.peak_rss_mib(),
        "MiB",
    );
}
