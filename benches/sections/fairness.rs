//! Goal 5: one team's backlog must not delay another team. Team A has 20,000 messages
//! queued in one channel and 10,000 over 100 others; once its lanes are going, team B sends
//! 4 rounds of one message to each of its 50 channels, a second apart, each channel with
//! room in its budget: B's time from SendMessage's answer to slack-sim's receipt.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use futures::future::join_all;

use crate::common::{BURST, Bench, Goal, Service, backlog, fleet, p50_p99, report::count, send};

const BIG_CHANNEL: usize = 20_000;
const A_OTHER_CHANNELS: usize = 100;
const A_SPREAD: usize = 10_000;
const B_CHANNELS: usize = 50;
const B_ROUNDS: usize = 4;

pub async fn run(bench: &mut Bench) {
    bench.clear_queue().await;
    bench.reset_sim(None, Duration::ZERO);
    let service = Service::start(&bench.db.url, &bench.sim, false).await;
    let started = Instant::now();
    let a_spaces = fleet::workspaces(&bench.sim, "Fair A", 1 + A_OTHER_CHANNELS, 1).await;
    let b_spaces = fleet::workspaces(&bench.sim, "Fair B", B_CHANNELS, 1).await;
    let a = fleet::connect(&service.grpc, fleet::one_team("fair-a", &a_spaces)).await;
    let b = fleet::connect(&service.grpc, fleet::one_team("fair-b", &b_spaces)).await;
    let setup = started.elapsed().as_secs_f64();
    drop(service);
    // Queued with SQL: through the RPCs it would take minutes, and only its delivery counts.
    let per_channel = i64::try_from(A_SPREAD / A_OTHER_CHANNELS).unwrap_or(i64::MAX);
    let mut counts = vec![(
        a[0].as_str(),
        i64::try_from(BIG_CHANNEL).unwrap_or(i64::MAX),
    )];
    counts.extend(a[1..].iter().map(|id| (id.as_str(), per_channel)));
    backlog::queue(&bench.db.pool, &counts, "fair-a").await;

    let service = Service::start(&bench.db.url, &bench.sim, true).await;
    // B starts once A's lanes have spent their bursts and run at Slack's pace.
    let a_bursts = (1 + A_OTHER_CHANNELS) * BURST as usize;
    bench
        .wait_for_posts(a_bursts, Duration::from_secs(60))
        .await;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut sent = Vec::with_capacity(B_CHANNELS * B_ROUNDS);
    for round in 0..B_ROUNDS {
        tick.tick().await;
        let calls = b.iter().enumerate().map(|(c, integration)| {
            let request = send::message(
                integration,
                format!("team B {round}"),
                format!("fair-b-{round}-{c}"),
            );
            send::send(service.grpc.clone(), request)
        });
        sent.extend(join_all(calls).await);
    }
    let waited = Instant::now();
    let mut receipts: HashMap<String, i64> = HashMap::new();
    while waited.elapsed() < Duration::from_secs(60) {
        receipts = bench.receipts().0;
        if sent.iter().all(|(id, _)| receipts.contains_key(id)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let posts = bench.posts();
    drop(service);

    let mut latencies: Vec<f64> = sent
        .iter()
        .filter_map(|(id, committed)| receipts.get(id).map(|at| (at - committed) as f64 / 1e3))
        .collect();
    let missing = sent.len() - latencies.len();
    let a_posts = posts.saturating_sub(latencies.len());
    let (p50, p99) = p50_p99(&mut latencies);

    let report = &mut bench.report;
    report.section(&format!(
        "5. fairness: team A {} queued in one channel + {} over {A_OTHER_CHANNELS} \
         others; team B {B_ROUNDS} rounds over {B_CHANNELS} channels",
        count(BIG_CHANNEL as i64),
        count(A_SPREAD as i64)
    ));
    report.context("set-up: the two teams' integrations", setup, "s");
    report.context("team B p50, SendMessage's answer to Slack", p50, "ms");
    report.figure(
        "team B p99, SendMessage's answer to Slack",
        p99,
        "ms",
        Goal::AtMost(1000.0),
    );
    report.none("team B not received within 60 s", missing);
    println!("  ({a_posts} posts of team A by the end)");
}
