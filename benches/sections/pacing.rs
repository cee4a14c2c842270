//! Goal 2: pacing close to Slack's limit with no 429s, against a slack-sim whose buckets
//! refill at ticks of its own clock and whose answers take a random time; and what each
//! delivered message costs in CPU, of the service and of Postgres.

use std::time::Duration;

use crate::common::{BURST, Bench, Goal, Service, procfs::PgCluster, report::count, send};

const PER_CHANNEL: usize = 20;
/// The phase of slack-sim's clock and its random latency (tens of ms, as the issue asks).
const CLOCK_OFFSET: Duration = Duration::from_millis(37);
const JITTER: Duration = Duration::from_millis(40);
/// Queued through BatchSendMessages, this many at a time (its most).
const BATCH: usize = 1_000;

/// How many posts met a 429, and the longest a channel then waited for its next post beyond
/// what the 429's Retry-After asked (`None` without 429s).
fn after_429s(bench: &Bench) -> (usize, Option<f64>) {
    bench.sim.state.with(|inner| {
        let overstays = inner.rate_limited_post_log.iter().filter_map(|refusal| {
            let next = inner
                .messages
                .iter()
                .filter(|m| m.channel == refusal.channel && m.received_us > refusal.at_us)
                .map(|m| m.received_us)
                .min()?;
            let waited = next.saturating_sub(refusal.at_us) as f64 / 1e3;
            Some(waited - refusal.retry_after_s as f64 * 1e3)
        });
        let longest = overstays.fold(None, |max: Option<f64>, ms| {
            Some(max.map_or(ms, |m| m.max(ms)))
        });
        (inner.rate_limited_post_log.len(), longest)
    })
}

pub async fn run(bench: &mut Bench) {
    bench.clear_queue().await;
    bench.reset_sim(None, Duration::ZERO);
    // Everything queued first, the workers off: the pace is measured from a full queue.
    let service = Service::start(&bench.db.url, &bench.sim, false).await;
    let fleet = bench.fleet(&service).await;
    let messages = fleet.len() * PER_CHANNEL;
    for round in 0..messages / BATCH {
        let requests = (0..BATCH)
            .map(|i| {
                let n = round * BATCH + i;
                // Message n goes to integration n % fleet: each channel's numbered in order.
                send::message(
                    &fleet[n % fleet.len()],
                    format!("{}", n / fleet.len()),
                    format!("pacing-{n}"),
                )
            })
            .collect();
        send::send_batch(service.grpc.clone(), requests).await;
    }
    drop(service);

    bench.reset_sim(Some(CLOCK_OFFSET), JITTER);
    let cluster = PgCluster::of(&bench.db.pool).await;
    let service = Service::start(&bench.db.url, &bench.sim, true).await;
    let pg_before = cluster.as_ref().map_or(f64::NAN, PgCluster::cpu_seconds);
    let all_in = bench
        .wait_for_posts(messages, Duration::from_secs(180))
        .await;
    let service_cpu = service.cpu_since_ready();
    let pg_cpu = cluster.as_ref().map_or(f64::NAN, PgCluster::cpu_seconds) - pg_before;
    let rss = service.peak_rss_mib();
    drop(service);
    if !all_in {
        println!("  (gave up waiting: not every message reached slack-sim within 180 s)");
    }

    let (receipts, duplicates) = bench.receipts();
    let first = receipts.values().min().copied().unwrap_or_default();
    let last = receipts.values().max().copied().unwrap_or_default();
    let span = (last - first) as f64 / 1e6;
    let delivered = receipts.len();
    let late_429s = bench.sim.state.with(|inner| {
        inner
            .rate_limited_post_log
            .iter()
            .filter(|r| i64::try_from(r.at_us).unwrap_or(i64::MAX) > first + 1_000_000)
            .count()
    });
    let (all_429s, overstay) = after_429s(bench);
    // From the first post (the burst) to the last, as `span` counts.
    let ideal = (PER_CHANNEL as f64 - f64::from(BURST)).max(1.0);
    let limit_rate = messages as f64 / ideal;
    let rate = delivered as f64 / span;

    let report = &mut bench.report;
    report.section(&format!(
        "2. pacing: {} channels x {PER_CHANNEL} messages, slack-sim on its own clock \
         (offset {} ms, jitter {} ms)",
        count(fleet.len() as i64),
        CLOCK_OFFSET.as_millis(),
        JITTER.as_millis()
    ));
    report.context("delivered, first post to last", span, "s");
    report.context(
        format!("theoretical limit ({ideal:.0} s for {PER_CHANNEL} per channel, burst {BURST})"),
        limit_rate,
        "msg/s",
    );
    report.context("delivered rate", rate, "msg/s");
    report.figure(
        "delivered rate / theoretical",
        rate / limit_rate,
        "x",
        Goal::AtLeast(0.97),
    );
    report.none("429s after the first second", late_429s);
    report.context("429s in all", all_429s as f64, "");
    if let Some(overstay) = overstay {
        report.context(
            "longest wait after a 429 beyond Retry-After",
            overstay,
            "ms",
        );
    }
    report.none("duplicates", duplicates);
    report.none("lost", messages.saturating_sub(delivered));
    let thousands = delivered as f64 / 1e3;
    report.context(
        "service CPU per 1,000 delivered",
        service_cpu / thousands,
        "s",
    );
    report.context("Postgres CPU per 1,000 delivered", pg_cpu / thousands, "s");
    report.context("service peak RSS while delivering", rss, "MiB");
}
