use std::time::Duration;

use futures::future::join_all;
use serde_json::json;
use switchboard::proto::v1::{self, DeliveryState, IntegrationStatus};
use tonic::Code;

use crate::{helpers::*, messaging_helpers::*};

#[tokio::test]
async fn a_message_and_two_replies_land_in_one_thread() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, channel) = ready_integration(&app, "team-1", &ws).await;

    let parent = send(
        &app,
        send_request(&integration, "incident-1", "Database down", true),
    )
    .await
    .unwrap();
    assert_eq!(parent.state(), DeliveryState::Sent, "{parent:?}");
    assert!(!parent.slack_ts.is_empty());
    assert_eq!(parent.channel_id, channel);
    let first = reply(
        &app,
        &integration,
        "incident-1",
        "incident-1-a",
        "Investigating",
        true,
    )
    .await;
    let second = reply(
        &app,
        &integration,
        "incident-1",
        "incident-1-b",
        "Resolved",
        true,
    )
    .await;
    for r in [&first, &second] {
        assert_eq!(r.state(), DeliveryState::Sent);
        assert_eq!(r.thread_ts, parent.slack_ts);
        assert_eq!(r.parent_internal_message_id, "incident-1");
    }

    let posted = sim_messages(&app).await;
    assert_eq!(posted.len(), 3);
    assert_eq!(posted[0]["ts"], parent.slack_ts.as_str());
    assert!(posted[0]["thread_ts"].is_null());
    for m in &posted[1..] {
        assert_eq!(m["thread_ts"], parent.slack_ts.as_str());
    }
    // Each post carries its delivery id for reconciliation.
    assert_eq!(
        posted[0]["metadata"]["event_payload"]["delivery_id"],
        parent.id.as_str()
    );
}

#[tokio::test]
async fn a_reply_sent_before_its_parent_went_out_follows_it_into_the_thread() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    // Slack holds the parent back for a second.
    app.inject_fault(
        json!({"method": "chat.postMessage", "kind": "rate_limited", "retry_after": 1, "times": 1}),
    )
    .await;

    let parent = send(&app, send_request(&integration, "p", "parent", false))
        .await
        .unwrap();
    let early = reply(&app, &integration, "p", "r", "reply", false).await;
    assert_eq!(early.state(), DeliveryState::Queued);

    let settled = settle(&app, &[parent.id.clone(), early.id.clone()]).await;
    assert!(
        settled.iter().all(|d| d.state() == DeliveryState::Sent),
        "{settled:?}"
    );
    let posted = sim_messages(&app).await;
    assert_eq!(posted.len(), 2);
    assert_eq!(posted[0]["text"], "parent");
    assert_eq!(posted[1]["text"], "reply");
    assert_eq!(posted[1]["thread_ts"], posted[0]["ts"]);
    // The 429 did not count against the parent's budget.
    assert_eq!(settled[0].attempts, 1);
}

#[tokio::test]
async fn the_same_internal_id_posts_once_and_a_different_payload_is_refused() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let first = send(
        &app,
        send_request(&integration, "order-42", "Shipped", true),
    )
    .await
    .unwrap();
    let again = send(
        &app,
        send_request(&integration, "order-42", "Shipped", true),
    )
    .await
    .unwrap();
    assert_eq!(again.id, first.id);
    let err = send(
        &app,
        send_request(&integration, "order-42", "Cancelled", false),
    )
    .await
    .unwrap_err();
    let details = assert_error(&err, Code::AlreadyExists, "MESSAGE_ALREADY_EXISTS");
    assert_eq!(
        details.error_info().unwrap().metadata["delivery_id"],
        first.id
    );
    assert_eq!(sim_messages(&app).await.len(), 1);
}

#[tokio::test]
async fn order_per_channel_holds_for_500_messages_over_10_channels() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let mut integrations = Vec::new();
    for i in 0..10 {
        integrations.push(ready_integration(&app, &format!("team-{i}"), &ws).await);
    }
    // Each channel's messages are accepted in order; channels run concurrently.
    let ids: Vec<Vec<String>> = join_all(integrations.iter().map(|(integration, _)| {
        let app = &app;
        async move {
            let mut ids = Vec::new();
            for n in 0..50 {
                let d = send(
                    app,
                    send_request(integration, &format!("m-{n}"), &format!("{n}"), false),
                )
                .await
                .unwrap();
                ids.push(d.id);
            }
            ids
        }
    }))
    .await;
    let all: Vec<String> = ids.into_iter().flatten().collect();
    let settled = settle(&app, &all).await;
    assert!(settled.iter().all(|d| d.state() == DeliveryState::Sent));

    let posted = sim_messages(&app).await;
    assert_eq!(posted.len(), 500, "exactly once each");
    for (_, channel) in &integrations {
        let order: Vec<u32> = posted
            .iter()
            .filter(|m| m["channel"] == channel.as_str())
            .map(|m| m["text"].as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(order, (0..50).collect::<Vec<_>>(), "channel {channel}");
    }
    assert_eq!(
        sim_rate_limited(&app).await,
        0,
        "the pace kept every channel within Slack's"
    );
}

#[tokio::test]
async fn a_429_storm_delivers_everything_without_counting_failures() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    app.inject_fault(
        json!({"method": "chat.postMessage", "kind": "rate_limited", "retry_after": 1, "times": 4}),
    )
    .await;
    let ids = send_numbered(&app, &integration, 20).await;
    let settled = settle(&app, &ids).await;
    assert!(
        settled
            .iter()
            .all(|d| d.state() == DeliveryState::Sent && d.attempts == 1),
        "{settled:?}"
    );
    assert_eq!(sim_messages(&app).await.len(), 20);
    let limited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM delivery_attempts WHERE outcome = 'rate_limited'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(limited, 4, "every 429 is in the attempt log");
}

#[tokio::test]
async fn server_errors_are_retried_until_everything_is_delivered() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    // Every third call fails with 503: a third of the traffic.
    app.inject_fault(
        json!({"method": "chat.postMessage", "kind": "http_status", "status": 503, "every": 3}),
    )
    .await;
    let ids = send_numbered(&app, &integration, 70).await;
    let settled = settle(&app, &ids).await;
    assert!(
        settled.iter().all(|d| d.state() == DeliveryState::Sent),
        "{settled:?}"
    );
    let posted = sim_messages(&app).await;
    assert_eq!(posted.len(), 70);
    let order: Vec<u32> = posted
        .iter()
        .map(|m| m["text"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(order, (0..70).collect::<Vec<_>>());
    let retried = settled.iter().filter(|d| d.attempts > 1).count();
    assert!(retried > 0);
}

#[tokio::test]
async fn permanent_errors_fail_at_once_and_change_state() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, channel) = ready_integration(&app, "team-1", &ws).await;
    app.sim_post(
        &format!("/_sim/workspaces/{ws}/channels/{channel}/archive"),
        json!({}),
    )
    .await;
    let archived = send(&app, send_request(&integration, "a", "x", true))
        .await
        .unwrap();
    assert_eq!(archived.state(), DeliveryState::Failed);
    assert_eq!(archived.last_error, "is_archived");
    assert_eq!(archived.attempts, 1);
    let ch = app
        .get(&integration)
        .await
        .unwrap()
        .notification_channel
        .unwrap();
    assert_eq!(ch.state(), v1::ChannelState::Archived);
    let err = send(&app, send_request(&integration, "b", "x", false))
        .await
        .unwrap_err();
    assert_error(
        &err,
        Code::FailedPrecondition,
        "NOTIFICATION_CHANNEL_UNAVAILABLE",
    );

    let ws2 = app.create_workspace("W2").await;
    let (revoked, _) = ready_integration(&app, "team-2", &ws2).await;
    app.sim_post(&format!("/_sim/workspaces/{ws2}/revoke"), json!({}))
        .await;
    let failed = send(&app, send_request(&revoked, "c", "x", true))
        .await
        .unwrap();
    assert_eq!(failed.state(), DeliveryState::Failed);
    assert_eq!(failed.last_error, "token_revoked");
    let integration = app.get(&revoked).await.unwrap();
    assert_eq!(integration.status(), IntegrationStatus::Revoked);
    assert_eq!(integration.status_reason, "token_revoked");
    let err = send(&app, send_request(&revoked, "d", "x", false))
        .await
        .unwrap_err();
    assert_error(&err, Code::FailedPrecondition, "INTEGRATION_NOT_ACTIVE");
}

#[tokio::test]
async fn a_removed_bot_rejoins_once_and_posts() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, channel) = ready_integration(&app, "team-1", &ws).await;
    app.sim_post(
        &format!("/_sim/workspaces/{ws}/channels/{channel}/kick_bot"),
        json!({}),
    )
    .await;
    let sent = send(&app, send_request(&integration, "a", "x", true))
        .await
        .unwrap();
    assert_eq!(sent.state(), DeliveryState::Sent);
    assert_eq!(
        app.sim_calls("conversations.join").await.len(),
        2,
        "one at set-up, one to rejoin"
    );
}

/// An app whose calls to Slack time out after 500 ms, and an integration ready to send.
async fn impatient_app() -> (TestApp, String) {
    let app = TestApp::spawn_with(|config| {
        config.slack.request_timeout = Duration::from_millis(500);
    })
    .await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    (app, integration)
}

/// The next post reaches Slack, but its answer comes only after the timeout.
async fn answer_the_next_post_late(app: &TestApp) {
    app.inject_fault(json!({"method": "chat.postMessage", "kind": "record_then_delay", "delay_ms": 1500, "times": 1}))
        .await;
}

#[tokio::test]
async fn a_reply_of_unknown_outcome_is_found_in_its_thread() {
    let (app, integration) = impatient_app().await;
    send(&app, send_request(&integration, "root", "root", true))
        .await
        .unwrap();
    answer_the_next_post_late(&app).await;
    let answer = reply(&app, &integration, "root", "r1", "in the thread", false).await;

    let settled = settle(&app, &[answer.id]).await;
    assert_eq!(settled[0].state(), DeliveryState::Sent);
    let posted = sim_messages(&app).await;
    assert_eq!(posted.len(), 2, "the reply went out once: {posted:?}");
    assert_eq!(settled[0].slack_ts, posted[1]["ts"].as_str().unwrap());
    assert!(!app.sim_calls("conversations.replies").await.is_empty());
}

#[tokio::test]
async fn a_failed_history_lookup_keeps_a_post_of_unknown_outcome_unaccounted_for() {
    let (app, integration) = impatient_app().await;
    answer_the_next_post_late(&app).await;
    // The lookups that follow fail: Slack's edge errs, then rate limits.
    app.inject_fault(json!({"method": "conversations.history", "kind": "http_status", "status": 503, "times": 1}))
        .await;
    app.inject_fault(json!({"method": "conversations.history", "kind": "rate_limited", "retry_after": 1, "times": 1}))
        .await;
    let delivery = send(&app, send_request(&integration, "a", "once", false))
        .await
        .unwrap();

    let settled = settle(&app, &[delivery.id]).await;
    assert_eq!(settled[0].state(), DeliveryState::Sent);
    assert_eq!(sim_messages(&app).await.len(), 1, "no second post");
    assert_eq!(app.sim_calls("conversations.history").await.len(), 3);
}

#[tokio::test]
async fn an_unknown_outcome_is_reconciled_and_posts_exactly_once() {
    let (app, integration) = impatient_app().await;
    answer_the_next_post_late(&app).await;
    let timed_out = send(&app, send_request(&integration, "a", "timed out", false))
        .await
        .unwrap();
    app.inject_fault(json!({"method": "chat.postMessage", "kind": "record_then_drop", "times": 1}))
        .await;
    let dropped = send(&app, send_request(&integration, "b", "dropped", false))
        .await
        .unwrap();

    let settled = settle(&app, &[timed_out.id.clone(), dropped.id.clone()]).await;
    assert!(
        settled.iter().all(|d| d.state() == DeliveryState::Sent),
        "{settled:?}"
    );
    let posted = sim_messages(&app).await;
    assert_eq!(posted.len(), 2, "no duplicate posts: {posted:?}");
    assert_eq!(settled[0].slack_ts, posted[0]["ts"].as_str().unwrap());
    assert_eq!(settled[1].slack_ts, posted[1]["ts"].as_str().unwrap());
    assert!(
        !app.sim_calls("conversations.history").await.is_empty(),
        "reconciled via history"
    );
}

#[tokio::test]
async fn sending_needs_an_active_integration_a_channel_and_a_known_parent() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let bare = app.install("team-1", &ws).await.unwrap();
    let err = send(&app, send_request(&bare.id, "a", "x", false))
        .await
        .unwrap_err();
    assert_error(
        &err,
        Code::FailedPrecondition,
        "NOTIFICATION_CHANNEL_NOT_SET",
    );

    let (integration, _) = ready_integration(&app, "team-2", &ws).await;
    let err = messaging(&app)
        .reply_to_message(service(v1::ReplyToMessageRequest {
            integration_id: integration.clone(),
            parent_internal_message_id: "never-sent".into(),
            message: text("x"),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_error(&err, Code::NotFound, "MESSAGE_NOT_FOUND");

    let err = messaging(&app)
        .send_message(as_team(
            "team-1",
            send_request(&integration, "a", "x", false),
        ))
        .await
        .unwrap_err();
    assert_error(&err, Code::PermissionDenied, "PERMISSION_DENIED");
}

#[tokio::test]
async fn a_workspace_cap_keeps_many_channels_within_slacks_workspace_limit() {
    // Six channels could go at 50 posts/s each; the workspace allows 25/s in all.
    let app = TestApp::spawn_with(|config| {
        config.delivery.pace.workspace = Some((Duration::from_millis(50), 10));
    })
    .await;
    app.sim_post("/_sim/config", json!({"workspace_posts_per_second": 25}))
        .await;
    let ws = app.create_workspace("W").await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let (integration, _) = ready_integration(&app, &format!("team-{i}"), &ws).await;
        for n in 0..8 {
            ids.push(
                send(
                    &app,
                    send_request(&integration, &format!("m{n}"), "x", false),
                )
                .await
                .unwrap()
                .id,
            );
        }
    }
    let settled = settle(&app, &ids).await;
    assert!(settled.iter().all(|d| d.state() == v1::DeliveryState::Sent));
    assert_eq!(sim_messages(&app).await.len(), 48);
    assert_eq!(sim_rate_limited(&app).await, 0, "the workspace cap held");
}
