//! Webhooks across a crash: the real service SIGKILLed while a delivery is held by the
//! receiver, events written while it is down, a new process started. Every event arrives,
//! in order; the only duplicate allowed is the redelivery of the one in flight at the kill.

use std::time::Duration;

use crate::{
    events_log::all_events,
    helpers::*,
    processes::start_service_with,
    webhook_receiver::Receiver,
    webhooks::{hooks, make_events, subscribe},
};

const WEBHOOK_ENV: &[(&str, &str)] = &[
    ("SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE", "true"),
    (
        "SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE",
        "50ms,100ms,200ms,400ms,800ms,1s,1s,1s",
    ),
    // A killed process's subscriptions are claimable again after 2 x 1 s + 2 s.
    ("SWITCHBOARD_WEBHOOK_TIMEOUT_MS", "1000"),
];

#[tokio::test]
async fn every_event_arrives_once_in_order_across_a_sigkill() {
    let mut db_url = String::new();
    // The in-process service only answers RPCs; the child processes deliver.
    let app = TestApp::spawn_with(|config| {
        config.delivery.enabled = false;
        config.webhooks.enabled = false;
        db_url = secrecy::ExposeSecret::expose_secret(&config.database.url).to_owned();
    })
    .await;
    let receiver = Receiver::start().await;
    receiver.hold();
    subscribe(&app.channel, &receiver, "team-1").await;
    make_events(&app, "team-1", 3).await;

    let first = start_service_with(&app, &db_url, WEBHOOK_ENV).await;
    wait_for(
        "a delivery in flight",
        Duration::from_secs(10),
        async || !receiver.received().is_empty(),
    )
    .await;
    drop(first); // SIGKILL, the delivery unanswered.
    make_events(&app, "team-1", 2).await;
    receiver.release();

    let _second = start_service_with(&app, &db_url, WEBHOOK_ENV).await;
    let expected: Vec<String> = all_events(&mut hooks(&app.channel), "team-1")
        .await
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(expected.len(), 5);
    wait_for("every event", Duration::from_secs(30), async || {
        receiver.accepted_ids().len() >= expected.len()
    })
    .await;
    assert_eq!(receiver.accepted_ids(), expected, "once each, in log order");
    let duplicates = receiver.accepted_duplicates();
    assert!(
        duplicates.iter().all(|id| *id == expected[0]) && duplicates.len() <= 1,
        "only the delivery in flight at the kill may come twice: {duplicates:?}"
    );
    assert_eq!(receiver.unverified(), 0);
}
