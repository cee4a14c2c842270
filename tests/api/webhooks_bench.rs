//! `make bench` (scripts/bench_webhooks.sh), not a test: ignored by `cargo test`, it prints
//! webhook deliveries per second to a local receiver and the retry timeline after 500s.
//! Nothing here is asserted beyond the deliveries arriving.

use std::time::{Duration, Instant};

use crate::{helpers::*, webhook_receiver::Receiver, webhooks::subscribe};

/// `n` `channel.cleared` events for `team`, written straight into the log in one commit.
async fn write_events(app: &TestApp, team: &str, n: i64) {
    sqlx::query(
        "INSERT INTO events (id, team_id, type, payload)
         SELECT gen_random_uuid(), $1, 'channel.cleared',
                jsonb_build_object('type', 'channel.cleared', 'channel_id', 'C' || i)
         FROM generate_series(1, $2) AS i",
    )
    .bind(team)
    .bind(n)
    .execute(&app.db)
    .await
    .expect("write events");
}

#[tokio::test]
#[ignore = "a benchmark: run by scripts/bench_webhooks.sh"]
async fn bench_webhook_deliveries() {
    let events: i64 = std::env::var("BENCH_WEBHOOK_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let app = TestApp::spawn_with(|config| {
        config.webhooks.retry_schedule = vec![
            Duration::from_millis(100),
            Duration::from_millis(200),
            Duration::from_millis(400),
        ];
    })
    .await;
    let receiver = Receiver::start().await;
    subscribe(&app.channel, &receiver, "bench").await;

    let start = Instant::now();
    write_events(&app, "bench", events).await;
    wait_for("every delivery", Duration::from_secs(600), async || {
        receiver.accepted_ids().len() as i64 >= events
    })
    .await;
    let took = start.elapsed();
    println!(
        "webhooks: {events} events to one subscription in {:.2} s = {:.0} deliveries/s (one at a time, in order)",
        took.as_secs_f64(),
        events as f64 / took.as_secs_f64()
    );

    receiver.fail_next(3);
    let before = receiver.received().len();
    let start = Instant::now();
    write_events(&app, "bench", 1).await;
    wait_for(
        "the retried delivery",
        Duration::from_secs(60),
        async || receiver.accepted_ids().len() as i64 > events,
    )
    .await;
    let tries: Vec<String> = receiver.received()[before..]
        .iter()
        .map(|r| {
            format!(
                "{} ms ({})",
                (r.at - start).as_millis(),
                if r.accepted { "2xx" } else { "500" }
            )
        })
        .collect();
    println!(
        "webhooks: retry timeline with a 100/200/400 ms schedule: {}",
        tries.join(", ")
    );
}
