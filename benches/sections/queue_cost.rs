//! Goal 3: queue cost independent of history and backlog. Three databases filled with SQL:
//! 10,000 queued deliveries over 10,000 channels (the base), 1,000,000 queued over the same
//! channels (backlog), and the base plus 10,000,000 finished deliveries (history). Claims and
//! enqueues are timed through the store's own API, interleaved across the three. Then the
//! service's peak RSS with 1,000,000 queued for the fleet's channels and its workers on.

use std::time::{Duration, Instant};

use serde_json::Value;
use switchboard::{
    config::Pace,
    domain::{
        ChannelId, DeliveryId, DeliveryKind, IntegrationId, InternalMessageId, TeamId, WorkspaceId,
    },
    store::{LeaseTerms, NewDelivery, Store},
};
use uuid::Uuid;

use super::queue_fill::{self, CHANNELS, INTEGRATION_IDS, INTEGRATIONS};
use crate::common::{
    Bench, Database, Goal, Service,
    backlog::{self, PAYLOAD},
    p50_p99,
    report::count,
};

const BASE: i64 = 10_000;
const BACKLOG: i64 = 1_000_000;
const HISTORY: i64 = 10_000_000;
const LANES_PER_CLAIM: i64 = 64;
/// Many short rounds, interleaved across the three databases, and the median of every
/// call: a busy neighbour on this shared machine then moves no figure far.
const ROUNDS: usize = 10;
const CLAIMS_PER_ROUND: usize = 30;
const ENQUEUES_PER_ROUND: usize = 100;
/// How long the service runs against the backlog for its peak RSS.
const RSS_RUN: Duration = Duration::from_secs(20);

/// A claim that finds every lane due at once: a pace and a lease of a microsecond, so the
/// same oldest lanes are claimed again each time and only the query's cost is measured.
const TERMS: LeaseTerms = LeaseTerms {
    lease: Duration::from_micros(1),
    settle_grace: Duration::ZERO,
};
const PACE: Pace = Pace {
    channel_interval: Duration::from_micros(1),
    channel_burst: 1,
    lag_margin: Duration::ZERO,
    workspace: None,
};

struct Scenario {
    db: Database,
    store: Store,
    integrations: Vec<IntegrationId>,
    claim_ms: Vec<f64>,
    enqueue_ms: Vec<f64>,
    /// Claims that found fewer than 64 lanes (the figure would then flatter the query).
    short_claims: usize,
}

impl Scenario {
    async fn new(bench: &mut Bench, label: &str, queued: i64, history: i64) -> Self {
        let db = Database::create(&bench.admin, label).await;
        let took = queue_fill::fill(&db.pool, queued, history).await;
        bench.report.context(
            format!(
                "fill (SQL): {} queued + {} finished",
                count(queued),
                count(history)
            ),
            took,
            "s",
        );
        let ids: Vec<Uuid> = sqlx::query_scalar(INTEGRATION_IDS)
            .bind(INTEGRATIONS)
            .fetch_all(&db.pool)
            .await
            .expect("integration ids");
        let integrations = ids
            .iter()
            .map(|id| IntegrationId::parse("id", &id.to_string()).expect("a UUID"))
            .collect();
        Self {
            store: Store::new(db.pool.clone()),
            db,
            integrations,
            claim_ms: Vec::new(),
            enqueue_ms: Vec::new(),
            short_claims: 0,
        }
    }

    /// Times `count` claims of 64 lanes (ms each).
    async fn claims(&mut self, count: usize) {
        let owner = Uuid::new_v4();
        for _ in 0..count {
            let started = Instant::now();
            let heads = self
                .store
                .claim(owner, LANES_PER_CLAIM, TERMS, PACE)
                .await
                .expect("claim");
            self.claim_ms.push(started.elapsed().as_secs_f64() * 1e3);
            self.short_claims += usize::from(heads.len() as i64 != LANES_PER_CLAIM);
        }
    }

    /// Times `count` enqueues (ms each), one at a time, into existing lanes.
    async fn enqueues(&mut self, count: usize, round: &str) {
        let payload: Value = serde_json::from_str(PAYLOAD).expect("JSON");
        for k in 0..count {
            let channel = (k * 7_919) % CHANNELS as usize;
            let integration = channel % INTEGRATIONS as usize;
            let new = NewDelivery {
                id: DeliveryId::new(),
                integration_id: self.integrations[integration],
                team_id: TeamId::parse("team_id", &format!("team-{integration}")).expect("team"),
                workspace_id: WorkspaceId::parse("workspace_id", &format!("TQ{}", channel / 20))
                    .expect("workspace"),
                channel_id: ChannelId::parse("channel_id", &format!("CQ{channel}"))
                    .expect("channel"),
                kind: DeliveryKind::Post,
                internal_message_id: InternalMessageId::parse(
                    "id",
                    &format!("enqueue-{round}-{k}"),
                )
                .expect("message id"),
                parent_internal_message_id: None,
                message_type: None,
                payload: payload.clone(),
                payload_hash: vec![0; 32],
                target_delivery_id: None,
                trace: None,
            };
            let started = Instant::now();
            self.store.enqueue(&new).await.expect("enqueue");
            self.enqueue_ms.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    p50_p99(&mut sorted).0
}

/// Peak RSS of the service with `BACKLOG` deliveries queued for the fleet's channels (real
/// integrations: the workers post them to slack-sim at its pace) after `RSS_RUN`.
async fn peak_rss_with_backlog(bench: &mut Bench) -> (f64, usize) {
    bench.clear_queue().await;
    bench.reset_sim(None, Duration::ZERO);
    let fleet = {
        let service = Service::start(&bench.db.url, &bench.sim, false).await;
        bench.fleet(&service).await
    };
    let per_channel = BACKLOG / i64::try_from(fleet.len()).unwrap_or(i64::MAX);
    let counts: Vec<(&str, i64)> = fleet.iter().map(|id| (id.as_str(), per_channel)).collect();
    backlog::queue(&bench.db.pool, &counts, "backlog").await;
    let service = Service::start(&bench.db.url, &bench.sim, true).await;
    tokio::time::sleep(RSS_RUN).await;
    let rss = service.peak_rss_mib();
    drop(service);
    let posted = bench.posts();
    bench.clear_queue().await;
    (rss, posted)
}

pub async fn run(bench: &mut Bench) {
    bench.report.section(&format!(
        "3. queue cost: claims of {LANES_PER_CLAIM} lanes and single enqueues through the \
         store, {} channels; then the service's peak RSS",
        count(CHANNELS)
    ));
    let mut base = Scenario::new(bench, "base", BASE, 0).await;
    let mut backlog = Scenario::new(bench, "backlog", BACKLOG, 0).await;
    let mut history = Scenario::new(bench, "history", BASE, HISTORY).await;
    // Warm each database's cache and plans before anything is timed.
    for scenario in [&mut base, &mut backlog, &mut history] {
        scenario.claims(10).await;
        scenario.enqueues(30, "warm").await;
        scenario.claim_ms.clear();
        scenario.enqueue_ms.clear();
    }
    for round in 0..ROUNDS {
        for scenario in [&mut base, &mut backlog, &mut history] {
            scenario.claims(CLAIMS_PER_ROUND).await;
            scenario
                .enqueues(ENQUEUES_PER_ROUND, &round.to_string())
                .await;
        }
    }
    let claim = [&base, &backlog, &history].map(|s| median(&s.claim_ms));
    let enqueue = [&base, &backlog, &history].map(|s| median(&s.enqueue_ms));
    let short: usize = [&base, &backlog, &history]
        .map(|s| s.short_claims)
        .iter()
        .sum();
    if short > 0 {
        println!("  ({short} claims found fewer than {LANES_PER_CLAIM} due lanes)");
    }
    for scenario in [base, backlog, history] {
        scenario.db.drop(&bench.admin).await;
    }

    let report = &mut bench.report;
    let claimed = |queued: &str| format!("claim 64 lanes (median), {queued}");
    report.context(claimed(&format!("{} queued", count(BASE))), claim[0], "ms");
    report.compared(
        (
            claimed(&format!("{} queued", count(BACKLOG))),
            claim[1],
            "ms",
        ),
        claim[0],
        format!("claim cost, {} / {} queued", count(BACKLOG), count(BASE)),
        Goal::AtMost(1.5),
    );
    report.compared(
        (
            claimed(&format!("+ {} finished", count(HISTORY))),
            claim[2],
            "ms",
        ),
        claim[0],
        format!("claim cost, {} finished / none", count(HISTORY)),
        Goal::AtMost(1.2),
    );
    let enqueued = |queued: &str| format!("enqueue (median), {queued}");
    report.context(
        enqueued(&format!("{} queued", count(BASE))),
        enqueue[0],
        "ms",
    );
    report.context(
        enqueued(&format!("{} queued", count(BACKLOG))),
        enqueue[1],
        "ms",
    );
    report.compared(
        (
            enqueued(&format!("+ {} finished", count(HISTORY))),
            enqueue[2],
            "ms",
        ),
        enqueue[0],
        format!("enqueue cost, {} finished / none", count(HISTORY)),
        Goal::AtMost(1.2),
    );

    let (rss, posted) = peak_rss_with_backlog(bench).await;
    let report = &mut bench.report;
    report.figure(
        format!(
            "service peak RSS, {} queued, {} s",
            count(BACKLOG),
            RSS_RUN.as_secs()
        ),
        rss,
        "MiB",
        Goal::AtMost(64.0),
    );
    report.context("  posts to slack-sim meanwhile", posted as f64, "");
}
