//! `make bench`: the figures of the outbox, printed, never asserted.
//!
//! 1. Enqueue: SendMessage through gRPC (64 concurrent callers, 20,000 messages, the
//!    service's workers off) beside the raw rate of committing the same outbox row through
//!    a pool of the same size, and their ratio.
//! 2. Delivery: 20,000 queued messages over 1,000 channels to slack-sim at Slack's real
//!    pace (1/s per channel, burst 3), against the theoretical limit; duplicates, lost
//!    messages and 429s counted.
//! 3. The service's peak RSS.

use std::{
    collections::HashSet,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use futures::{StreamExt, stream};
use serde_json::{Value, json};
use slack_sim::{RunningSim, SimConfig};
use sqlx::{Connection, PgConnection, postgres::PgPoolOptions};
use switchboard::{
    domain::{
        ChannelId, DeliveryId, DeliveryKind, IntegrationId, InternalMessageId, TeamId, WorkspaceId,
    },
    proto::v1::{
        self, channel_service_client::ChannelServiceClient,
        integration_service_client::IntegrationServiceClient,
        messaging_service_client::MessagingServiceClient,
    },
    store::{MIGRATOR, NewDelivery, Store},
};
use tonic::{Request, transport::Channel};
use uuid::Uuid;

const API_KEY: &str = "bench-key";
const KEY_B64: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
const REDIRECT: &str = "https://bench.example/slack/callback";
const WORKSPACES: usize = 50;
const CHANNELS_PER_WORKSPACE: usize = 20;
const MESSAGES: usize = 20_000;
const CALLERS: usize = 64;
const POOL_SIZE: u32 = 20;
const BURST: u32 = 3;
/// Interleaved rounds of the enqueue comparison.
const ROUNDS: usize = 4;

struct Service {
    child: Child,
    grpc: Channel,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    /// Peak resident set (VmHWM) of the service process, in MiB.
    fn peak_rss_mib(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_service(db_url: &str, sim: &RunningSim, workers: bool) -> Service {
    let (grpc_port, http_port) = (free_port(), free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("serve")
        .env("DATABASE_URL", db_url)
        .env("SWITCHBOARD_GRPC_ADDR", format!("127.0.0.1:{grpc_port}"))
        .env("SWITCHBOARD_HTTP_ADDR", format!("127.0.0.1:{http_port}"))
        .env("SWITCHBOARD_API_KEYS", API_KEY)
        .env("SWITCHBOARD_TOKEN_ENCRYPTION_KEY", KEY_B64)
        .env("SWITCHBOARD_DB_MAX_CONNECTIONS", POOL_SIZE.to_string())
        .env("SWITCHBOARD_DELIVERY_WORKERS", workers.to_string())
        .env("SLACK_CLIENT_ID", "sim-client-id")
        .env("SLACK_CLIENT_SECRET", "sim-client-secret")
        .env("SLACK_REDIRECT_URI", REDIRECT)
        .env("SLACK_API_BASE_URL", sim.api_url())
        .env("SLACK_AUTHORIZE_URL", sim.authorize_url())
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .spawn()
        .expect("start switchboard");
    // Owned at once, so a failed start below still reaps it.
    let mut child = Some(child);
    for _ in 0..400 {
        if reqwest::get(format!("http://127.0.0.1:{http_port}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            let grpc = Channel::from_shared(format!("http://127.0.0.1:{grpc_port}"))
                .unwrap()
                .connect()
                .await
                .expect("gRPC connect");
            return Service {
                child: child.take().expect("child taken once"),
                grpc,
            };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if let Some(mut child) = child {
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("switchboard did not become ready");
}

fn authed<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {API_KEY}").parse().unwrap(),
    );
    request
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// 1,000 integrations, one channel each, spread over 50 workspaces.
async fn set_up(sim: &RunningSim, service: &Service) -> Vec<String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut jobs = Vec::new();
    for w in 0..WORKSPACES {
        let workspace: Value = http
            .post(format!("{}/_sim/workspaces", sim.base_url()))
            .json(&json!({"name": format!("Bench {w}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ws = workspace["id"].as_str().unwrap().to_owned();
        let channels: Value = http
            .post(format!("{}/_sim/workspaces/{ws}/channels", sim.base_url()))
            .json(&json!({"name": "bench", "count": CHANNELS_PER_WORKSPACE, "bot_member": true}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for (c, channel) in channels.as_array().unwrap().iter().enumerate() {
            jobs.push((
                format!("team-{w}-{c}"),
                ws.clone(),
                channel["id"].as_str().unwrap().to_owned(),
            ));
        }
    }
    stream::iter(jobs)
        .map(|(team, ws, channel)| {
            let (http, grpc) = (http.clone(), service.grpc.clone());
            async move {
                let mut integrations = IntegrationServiceClient::new(grpc.clone());
                let started = integrations
                    .start_slack_o_auth(authed(v1::StartSlackOAuthRequest {
                        team_id: team,
                        ..Default::default()
                    }))
                    .await
                    .unwrap()
                    .into_inner();
                let location = http
                    .get(format!("{}&team={ws}", started.authorize_url))
                    .send()
                    .await
                    .unwrap()
                    .headers()["location"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                let code = url::Url::parse(&location)
                    .unwrap()
                    .query_pairs()
                    .find(|(k, _)| k == "code")
                    .unwrap()
                    .1
                    .into_owned();
                let integration = integrations
                    .complete_slack_o_auth(authed(v1::CompleteSlackOAuthRequest {
                        code,
                        state: started.state,
                    }))
                    .await
                    .unwrap()
                    .into_inner();
                ChannelServiceClient::new(grpc)
                    .set_notification_channel(authed(v1::SetNotificationChannelRequest {
                        integration_id: integration.id.clone(),
                        channel_id: channel,
                    }))
                    .await
                    .unwrap();
                integration.id
            }
        })
        .buffered(16)
        .collect()
        .await
}

/// SendMessage for messages `range` (message n to channel n % 1000, so each channel's
/// messages are numbered in order); the latency of each call.
async fn send_via_grpc(
    grpc: &Channel,
    integrations: &Arc<Vec<String>>,
    range: std::ops::Range<usize>,
) -> Vec<Duration> {
    stream::iter(range)
        .map(|n| {
            let (grpc, integrations) = (grpc.clone(), integrations.clone());
            async move {
                let request = v1::SendMessageRequest {
                    integration_id: integrations[n % integrations.len()].clone(),
                    message: Some(v1::Message {
                        text: format!("{}", n / integrations.len()),
                        ..Default::default()
                    }),
                    internal_message_id: format!("bench-{n}"),
                    ..Default::default()
                };
                let t = Instant::now();
                MessagingServiceClient::new(grpc)
                    .send_message(authed(request))
                    .await
                    .unwrap();
                t.elapsed()
            }
        })
        .buffer_unordered(CALLERS)
        .collect()
        .await
}

/// The same outbox rows committed straight through the store (not real deliveries).
async fn insert_raw(store: &Store, range: std::ops::Range<usize>) {
    stream::iter(range)
        .map(|n| {
            let store = store.clone();
            async move {
                let payload = json!({"text": format!("{n}"), "blocks": null, "unfurl_links": false,
                                     "unfurl_media": false, "reply_broadcast": false});
                let new = NewDelivery {
                    id: DeliveryId::new(),
                    integration_id: IntegrationId::new(),
                    team_id: TeamId::parse("team_id", "raw").unwrap(),
                    workspace_id: WorkspaceId::parse("workspace_id", "TRAW").unwrap(),
                    channel_id: ChannelId::parse("channel_id", &format!("CRAW{}", n % 1000))
                        .unwrap(),
                    kind: DeliveryKind::Post,
                    internal_message_id: InternalMessageId::parse("id", &format!("raw-{n}"))
                        .unwrap(),
                    parent_internal_message_id: None,
                    message_type: None,
                    payload_hash: vec![0; 32],
                    payload,
                    target_delivery_id: None,
                    trace: None,
                };
                store.enqueue(&new).await.unwrap();
            }
        })
        .buffer_unordered(CALLERS)
        .collect::<Vec<_>>()
        .await;
}

#[tokio::main]
async fn main() {
    let admin = std::env::var("DATABASE_URL").expect("DATABASE_URL (run `make bench`)");
    let name = format!("bench_{}", Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let db_url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let pool = PgPoolOptions::new()
        .max_connections(POOL_SIZE)
        .connect(&db_url)
        .await
        .unwrap();
    MIGRATOR.run(&pool).await.unwrap();

    // Slack's own pace: 1 post/s per channel with a small burst.
    let sim = RunningSim::start("127.0.0.1:0".parse().unwrap(), SimConfig::default())
        .await
        .unwrap();
    let service = start_service(&db_url, &sim, false).await;
    let setup = Instant::now();
    let integrations = Arc::new(set_up(&sim, &service).await);
    println!(
        "set-up: {} integrations in {:.1} s",
        integrations.len(),
        setup.elapsed().as_secs_f64()
    );

    // 1. SendMessage through gRPC (workers off) beside the same outbox row committed
    // directly through a pool of the same size. Both run in interleaved rounds, the order
    // alternating, so that drift on this shared machine (autovacuum, a busy core) weighs
    // on both alike rather than on whichever ran second.
    let per_integration = MESSAGES / integrations.len();
    let store = Store::new(pool.clone());
    let chunk = MESSAGES / ROUNDS;
    let (mut grpc_time, mut raw_time) = (Duration::ZERO, Duration::ZERO);
    let mut latencies: Vec<Duration> = Vec::with_capacity(MESSAGES);
    let mut round_ratios = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let range = round * chunk..(round + 1) * chunk;
        let (mut grpc, mut raw) = (Duration::ZERO, Duration::ZERO);
        for grpc_turn in if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        } {
            let started = Instant::now();
            if grpc_turn {
                latencies.extend(send_via_grpc(&service.grpc, &integrations, range.clone()).await);
                grpc = started.elapsed();
            } else {
                insert_raw(&store, range.clone()).await;
                raw = started.elapsed();
            }
        }
        round_ratios.push(raw.as_secs_f64() / grpc.as_secs_f64());
        grpc_time += grpc;
        raw_time += raw;
    }
    latencies.sort();
    let grpc_rate = MESSAGES as f64 / grpc_time.as_secs_f64();
    let raw_rate = MESSAGES as f64 / raw_time.as_secs_f64();
    // The raw rows were only for timing: they are not deliveries.
    sqlx::query("DELETE FROM deliveries WHERE workspace_id = 'TRAW'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM channel_lanes WHERE workspace_id = 'TRAW'")
        .execute(&pool)
        .await
        .unwrap();
    let enqueue_rss = service.peak_rss_mib();
    drop(service);

    println!("\n== enqueue ({MESSAGES} messages, {CALLERS} concurrent callers)");
    println!(
        "SendMessage via gRPC : {grpc_rate:>8.0} msg/s   p50 {:>6.2} ms   p99 {:>6.2} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3
    );
    println!("raw outbox insert    : {raw_rate:>8.0} msg/s");
    println!(
        "ratio gRPC / raw     : {:>8.2}   (target >= 0.80; by round: {})",
        grpc_rate / raw_rate,
        round_ratios
            .iter()
            .map(|r| format!("{r:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // 2. Delivery at Slack's pace.
    let started = Instant::now();
    let service = start_service(&db_url, &sim, true).await;
    let mut last_report = Instant::now();
    loop {
        let sent: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state = 'sent'")
            .fetch_one(&pool)
            .await
            .unwrap();
        if sent as usize >= MESSAGES || started.elapsed() > Duration::from_secs(600) {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(5) {
            println!(
                "  ... {sent} sent after {:.0} s",
                started.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elapsed = started.elapsed();
    let delivery_rss = service.peak_rss_mib();
    let (ids, rate_limited) = sim.state.with(|inner| {
        let ids: Vec<String> = inner
            .messages
            .iter()
            .filter_map(|m| {
                m.metadata.as_ref()?["event_payload"]["delivery_id"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect();
        (ids, inner.rate_limited_posts)
    });
    let unique: HashSet<&String> = ids.iter().collect();
    let ideal = Duration::from_secs((per_integration as u64).saturating_sub(u64::from(BURST)));
    let limit_rate = MESSAGES as f64 / ideal.as_secs_f64();
    // The limit counts from the first post (the burst) to the last, as this does; the
    // wall time above also holds the service's start.
    let span: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM max(sent_time) - min(sent_time))::float8 FROM deliveries",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let rate = unique.len() as f64 / span;
    println!(
        "\n== delivery ({MESSAGES} messages, {} channels, 1/s per channel after a burst of {BURST})",
        integrations.len()
    );
    println!(
        "delivered            : {:>8} in {:.1} s from start-up, {span:.1} s first post to last = {rate:.0} msg/s",
        unique.len(),
        elapsed.as_secs_f64()
    );
    println!(
        "theoretical limit    : {limit_rate:>8.0} msg/s   ({} s for {per_integration} per channel)",
        ideal.as_secs()
    );
    println!(
        "ratio to the limit   : {:>8.2}   (target >= 0.95)",
        rate / limit_rate
    );
    println!("duplicates           : {:>8}", ids.len() - unique.len());
    println!("lost                 : {:>8}", MESSAGES - unique.len());
    println!("429s from slack-sim  : {rate_limited:>8}");
    println!(
        "\n== service peak RSS  : {:.1} MiB while enqueueing, {:.1} MiB while delivering (target <= 150 MB)",
        enqueue_rss, delivery_rss
    );
    drop(service);
    pool.close().await;
    let _ = sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await;
}
