//! Attempts that outlive their worker's lease: a replica frozen mid-post, posts slower than
//! the heartbeat, and the fencing of what a worker records after losing its lane.

use std::time::Duration;

use serde_json::json;
use switchboard::store::{AttemptRecord, Finished, HeldLane, Outcome, Store};
use uuid::Uuid;

use crate::{helpers::*, messaging_helpers::*, processes::*};

/// The bound of waits on real processes: only a hang exceeds it.
const LONG: Duration = Duration::from_secs(120);

/// The one lane's (epoch, whether a worker holds it).
async fn lane(app: &TestApp) -> (i64, bool) {
    sqlx::query_as("SELECT lease_epoch, lease_owner IS NOT NULL FROM channel_lanes")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_frozen_mid_post_past_its_lease_leaves_exactly_one_post() {
    let (app, db_url) = app_without_workers().await;
    // Slack receives the first post but sits on it until the test lets it through.
    app.inject_fault(json!({"method": "chat.postMessage", "kind": "hold", "times": 1}))
        .await;
    let ids = accept_messages(&app, 1, 3).await;
    let settings = [
        ("SLACK_REQUEST_TIMEOUT_MS", "3000"),
        ("SWITCHBOARD_DELIVERY_LEASE_MS", "6000"),
        ("SWITCHBOARD_DELIVERY_SETTLE_GRACE_MS", "6000"),
    ];
    let a = start_service_with(&app, &db_url, &settings).await;
    wait_for("the first post to reach Slack", LONG, async || {
        !app.sim_calls("chat.postMessage").await.is_empty()
    })
    .await;
    a.freeze();

    // B takes the lane once A's lease has run out, and must leave it be until A's post
    // can no longer land: it neither looks in the history nor posts.
    let _b = start_service_with(&app, &db_url, &settings).await;
    wait_for("B to take the lane and hand it back", LONG, async || {
        let (epoch, held) = lane(&app).await;
        epoch >= 2 && !held
    })
    .await;
    assert!(app.sim_calls("conversations.history").await.is_empty());
    assert_eq!(app.sim_calls("chat.postMessage").await.len(), 1);

    // Slack finishes A's post late; B finds it in the history once it has settled.
    app.sim_post("/_sim/faults/release", json!({})).await;
    let first = settle(&app, &ids[..1]).await.remove(0);
    assert_eq!(first.state(), switchboard::proto::v1::DeliveryState::Sent);

    // A wakes up, hears back about its post, and must record nothing over B's work.
    a.resume();
    let stopped = tokio::task::spawn_blocking(move || a.terminate());
    assert!(stopped.await.unwrap().success(), "A exits cleanly");
    assert_exactly_once(&app, &ids, 1).await;
    let posted = sim_messages(&app).await;
    assert_eq!(first.slack_ts, posted[0]["ts"].as_str().unwrap());
    let recorded_by_a: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM delivery_attempts WHERE delivery_id = $1::uuid AND outcome = 'sent'",
    )
    .bind(&ids[0])
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(recorded_by_a, 0, "the fenced worker wrote no attempt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn posts_slower_than_the_heartbeat_go_out_once_each_in_order() {
    let (app, db_url) = app_without_workers().await;
    // Every post takes longer than a heartbeat interval (lease / 4 = 1 s).
    app.inject_fault(json!({"method": "chat.postMessage", "kind": "delay", "delay_ms": 1200}))
        .await;
    let ids = accept_messages(&app, 3, 4).await;
    let settings = [
        ("SLACK_REQUEST_TIMEOUT_MS", "2000"),
        ("SWITCHBOARD_DELIVERY_LEASE_MS", "4000"),
    ];
    let _a = start_service_with(&app, &db_url, &settings).await;
    let _b = start_service_with(&app, &db_url, &settings).await;
    assert_exactly_once(&app, &ids, 3).await;
}

#[tokio::test]
async fn no_call_starts_on_a_lease_shorter_than_the_slack_timeout() {
    // Configuration refuses such a lease; built directly, the engine must still hold back.
    let app = TestApp::spawn_with(|config| {
        config.slack.request_timeout = Duration::from_secs(5);
        config.delivery.lease = Duration::from_secs(1);
    })
    .await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let id = send_numbered(&app, &integration, 1).await.remove(0);
    wait_for("an attempt to stop short", LONG, async || {
        get_delivery(&app, &id).await.last_error == "lease_expiring"
    })
    .await;
    assert!(app.sim_calls("chat.postMessage").await.is_empty());
    assert_eq!(
        get_delivery(&app, &id).await.state(),
        switchboard::proto::v1::DeliveryState::Queued
    );
}

#[tokio::test]
async fn a_worker_that_lost_its_lane_records_nothing_and_renews_nothing() {
    let (app, _) = app_without_workers().await;
    let ids = accept_messages(&app, 1, 1).await;
    let store = Store::new(app.db.clone());
    let (terms, pace) = (CLAIM_TERMS, CLAIM_PACE);
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let head_a = store.claim(a, 10, terms, pace).await.unwrap().remove(0);
    assert!(!head_a.unsettled);
    let held_by_a = HeldLane {
        workspace_id: head_a.workspace_id.clone(),
        channel_id: head_a.channel_id.clone(),
        lease_epoch: head_a.lease_epoch,
        delivery_id: head_a.id,
    };
    assert_eq!(
        store
            .renew_leases(a, std::slice::from_ref(&held_by_a), terms)
            .await
            .unwrap(),
        vec![head_a.id]
    );

    // A stalls past its lease; B takes the lane and must wait for A's attempt to settle.
    sqlx::query("UPDATE channel_lanes SET lease_expire_time = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();
    let head_b = store.claim(b, 10, terms, pace).await.unwrap().remove(0);
    assert_eq!(head_b.id.to_string(), ids[0]);
    assert!(head_b.lease_epoch > head_a.lease_epoch);
    assert!(head_b.unsettled, "A's post may still be on its way");
    assert!(head_b.attempt_start_time.is_some());

    // A comes back: it can neither renew nor record.
    assert!(
        store
            .renew_leases(a, &[held_by_a], terms)
            .await
            .unwrap()
            .is_empty()
    );
    let sent = Outcome::Sent {
        ts: "1700000000.000100".into(),
        thread_ts: None,
    };
    let record = AttemptRecord {
        latency: Duration::from_millis(5),
        outcome: "sent",
        slack_error: None,
    };
    assert_eq!(
        store
            .finish(a, &head_a, &sent, Some(&record), terms)
            .await
            .unwrap(),
        Finished::Fenced
    );
    let (state, attempts): (String, i64) = sqlx::query_as(
        "SELECT d.state, (SELECT count(*) FROM delivery_attempts) FROM deliveries d",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((state.as_str(), attempts), ("queued", 0));

    // B waits for the settle time: the lane is due then, and not before.
    let settle_at = head_b.settle_time.unwrap();
    let waiting = Outcome::Settle { at: settle_at };
    assert_eq!(
        store
            .finish(b, &head_b, &waiting, None, terms)
            .await
            .unwrap(),
        Finished::Recorded
    );
    assert!(store.claim(b, 10, terms, pace).await.unwrap().is_empty());
    let (next_due, still_marked): (chrono::DateTime<chrono::Utc>, bool) = sqlx::query_as(
        "SELECT l.next_due, d.attempt_start_time IS NOT NULL
         FROM channel_lanes l, deliveries d",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(next_due, settle_at);
    assert!(still_marked, "the delivery is still to be reconciled");
}
