//! Goal 4: latency when nothing paces it. 500 messages/s offered for 10 s, each to a channel
//! with room in its budget (1,000 channels round-robin: one message per channel every 2 s);
//! the time from SendMessage's answer (its row committed) to slack-sim's receipt.

use std::time::{Duration, Instant};

use tokio::time::MissedTickBehavior;

use crate::common::{Bench, Goal, Service, p50_p99, report::count, send};

const RATE: u64 = 500;
const SECONDS: u64 = 10;

pub async fn run(bench: &mut Bench) {
    bench.clear_queue().await;
    bench.reset_sim(None, Duration::ZERO);
    let service = Service::start(&bench.db.url, &bench.sim, true).await;
    let fleet = bench.fleet(&service).await;
    let messages = (RATE * SECONDS) as usize;

    // Offered at a fixed pace, whatever the answers take (an open loop).
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / RATE));
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    // Spawned, so that a slow answer never holds back the next request.
    let mut in_flight = Vec::with_capacity(messages);
    let started = Instant::now();
    for n in 0..messages {
        tick.tick().await;
        let request = send::message(
            &fleet[n % fleet.len()],
            format!("latency {n}"),
            format!("latency-{n}"),
        );
        in_flight.push(tokio::spawn(send::send(service.grpc.clone(), request)));
    }
    let offered = messages as f64 / started.elapsed().as_secs_f64();
    let mut sent = Vec::with_capacity(messages);
    for task in in_flight {
        sent.push(task.await.expect("send task"));
    }
    bench
        .wait_for_posts(messages, Duration::from_secs(60))
        .await;
    drop(service);

    let (receipts, _) = bench.receipts();
    let mut latencies: Vec<f64> = sent
        .iter()
        .filter_map(|(id, committed)| receipts.get(id).map(|at| (at - committed) as f64 / 1e3))
        .collect();
    let missing = messages - latencies.len();
    let (p50, p99) = p50_p99(&mut latencies);

    let report = &mut bench.report;
    report.section(&format!(
        "4. latency: {RATE} messages/s offered for {SECONDS} s over {} channels, \
         SendMessage's answer to slack-sim's receipt",
        count(fleet.len() as i64)
    ));
    report.context("offered rate", offered, "msg/s");
    report.figure("commit to Slack p50", p50, "ms", Goal::AtMost(20.0));
    report.figure("commit to Slack p99", p99, "ms", Goal::AtMost(100.0));
    report.none("not received within 60 s", missing);
}
