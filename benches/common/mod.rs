//! What the sections of `make bench` share: the service process, integrations set up
//! through the simulator's OAuth flow, `/proc` readings, percentiles and the report.

pub mod backlog;
pub mod fleet;
pub mod procfs;
pub mod report;
pub mod send;
pub mod service;

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use slack_sim::{RunningSim, SimConfig};
use sqlx::{Connection, PgConnection, PgPool, postgres::PgPoolOptions};
use switchboard::store::MIGRATOR;
use tonic::Request;
use uuid::Uuid;

pub use report::{Goal, Report};
pub use service::{POOL_SIZE, Service};

pub const API_KEY: &str = "bench-key";
/// The standard fleet: 1,000 integrations, one channel each, over 50 workspaces.
pub const WORKSPACES: usize = 50;
pub const CHANNELS_PER_WORKSPACE: usize = 20;
/// The service's per-channel pace (its defaults): 1 message/s after a burst of 3.
pub const BURST: u32 = 3;

pub fn authed<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {API_KEY}").parse().expect("ASCII header"),
    );
    request
}

/// The `p` quantile (0..=1) of sorted values, nearest rank; NaN when there are none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Sorts in place and returns (p50, p99).
pub fn p50_p99(values: &mut [f64]) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    (percentile(values, 0.50), percentile(values, 0.99))
}

/// The wall clock in unix microseconds: the simulator stamps receipts with the same clock.
pub fn unix_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// A migrated database of its own on the bench cluster.
pub struct Database {
    pub name: String,
    pub url: String,
    pub pool: PgPool,
}

impl Database {
    pub async fn create(admin: &str, label: &str) -> Self {
        let name = format!("bench_{label}_{}", Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(admin)
            .await
            .expect("admin connection");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("CREATE DATABASE");
        let base = admin.rsplit_once('/').expect("a database URL").0;
        let url = format!("{base}/{name}");
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .connect(&url)
            .await
            .expect("bench database");
        MIGRATOR.run(&pool).await.expect("migrations");
        Self { name, url, pool }
    }

    pub async fn drop(self, admin: &str) {
        self.pool.close().await;
        if let Ok(mut conn) = PgConnection::connect(admin).await {
            let _ = sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
                .execute(&mut conn)
                .await;
        }
    }
}

/// The run: its database, its simulated Slack, the standard fleet once set up, the report.
pub struct Bench {
    pub admin: String,
    pub db: Database,
    pub sim: RunningSim,
    pub report: Report,
    fleet: Option<Arc<Vec<String>>>,
}

impl Bench {
    pub async fn new(admin: String) -> Self {
        let db = Database::create(&admin, "run").await;
        let sim = RunningSim::start(
            "127.0.0.1:0".parse().expect("address"),
            SimConfig::default(),
        )
        .await
        .expect("start slack-sim");
        Self {
            admin,
            db,
            sim,
            report: Report::default(),
            fleet: None,
        }
    }

    /// The standard fleet (1,000 integrations; message n goes to integration n % 1,000),
    /// set up through `service` the first time it is asked for.
    pub async fn fleet(&mut self, service: &Service) -> Arc<Vec<String>> {
        if let Some(fleet) = &self.fleet {
            return fleet.clone();
        }
        let started = Instant::now();
        let workspaces =
            fleet::workspaces(&self.sim, "Bench", WORKSPACES, CHANNELS_PER_WORKSPACE).await;
        let ids = fleet::connect(
            &service.grpc,
            fleet::one_team_per_channel("team", &workspaces),
        )
        .await;
        self.report.context(
            format!("set-up: {} integrations via the OAuth flow", ids.len()),
            started.elapsed().as_secs_f64(),
            "s",
        );
        let fleet = Arc::new(ids);
        self.fleet = Some(fleet.clone());
        fleet
    }

    /// Empties the outbox (no service may be running): each section starts from nothing.
    pub async fn clear_queue(&self) {
        sqlx::query("TRUNCATE deliveries, channel_lanes, delivery_attempts, workspace_limits")
            .execute(&self.db.pool)
            .await
            .expect("empty the outbox");
        sqlx::query("VACUUM ANALYZE deliveries")
            .execute(&self.db.pool)
            .await
            .expect("vacuum");
    }

    /// Forgets every post, 429 and pace of the simulator, and sets how it paces posts
    /// (`own_clock`: the offset of its tick bucket; `None`: arrival GCRA) and its jitter.
    /// On its own clock its bucket holds the service's burst, no more: a post sent early
    /// meets a 429 rather than a spare token.
    pub fn reset_sim(&self, own_clock: Option<Duration>, jitter: Duration) {
        let burst = match own_clock {
            Some(_) => BURST,
            None => SimConfig::default().post_burst,
        };
        self.sim.state.with(|inner| {
            inner.config.post_burst = burst;
            inner.messages.clear();
            inner.rate_limited_posts = 0;
            inner.rate_limited_post_log.clear();
            inner.post_pacer = Default::default();
            inner.post_ticks = Default::default();
            inner.config.post_clock_offset = own_clock;
            inner.config.latency_jitter = jitter;
        });
    }

    /// When slack-sim first received each delivery (unix µs), and how many posts repeated
    /// one already received.
    pub fn receipts(&self) -> (HashMap<String, i64>, usize) {
        self.sim.state.with(|inner| {
            let mut first = HashMap::with_capacity(inner.messages.len());
            let mut duplicates = 0;
            for message in &inner.messages {
                let Some(id) = message.metadata.as_ref().and_then(|m| {
                    m["event_payload"]["delivery_id"]
                        .as_str()
                        .map(str::to_owned)
                }) else {
                    continue;
                };
                let at = i64::try_from(message.received_us).unwrap_or(i64::MAX);
                if first.insert(id, at).is_some() {
                    duplicates += 1;
                }
            }
            (first, duplicates)
        })
    }

    /// Posts slack-sim has accepted so far (cheap: no Postgres involved).
    pub fn posts(&self) -> usize {
        self.sim.state.with(|inner| inner.messages.len())
    }

    /// Waits (polling the simulator in-process) until it has `count` posts or `limit` passes.
    pub async fn wait_for_posts(&self, count: usize, limit: Duration) -> bool {
        let started = Instant::now();
        let mut last_report = Instant::now();
        while started.elapsed() < limit {
            let posts = self.posts();
            if posts >= count {
                return true;
            }
            if last_report.elapsed() > Duration::from_secs(10) {
                println!(
                    "  ... {posts} of {count} posts after {:.0} s",
                    started.elapsed().as_secs_f64()
                );
                last_report = Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    pub async fn finish(self) {
        self.report.print_table();
        drop(self.sim);
        self.db.drop(&self.admin).await;
    }
}
