use serde_json::{Value, json};
use switchboard::proto::v1::{ChannelState, IntegrationStatus};

use crate::{helpers::*, messaging_helpers::*};

pub fn callback(event_id: &str, team: &str, event_time: i64, event: Value) -> Value {
    json!({
        "type": "event_callback", "team_id": team, "api_app_id": "A0SWITCHBD",
        "event_id": event_id, "event_time": event_time, "event": event,
    })
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn signatures_are_checked_and_url_verification_answered() {
    let app = TestApp::spawn().await;
    let challenge = json!({"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"});
    let answer = app.post_event(&challenge).await;
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["challenge"], challenge["challenge"]);

    let body = challenge.to_string();
    assert_eq!(
        app.post_event_signed_with(&body, "wrong-secret", 0)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.post_event_signed_with(&body, SIGNING_SECRET, 301)
            .await
            .status(),
        401,
        "stale"
    );
    assert_eq!(
        app.post_event_signed_with(&body, SIGNING_SECRET, 290)
            .await
            .status(),
        200
    );

    // A body changed after signing.
    let timestamp = now().to_string();
    let signature = switchboard::slack::SignatureVerifier::new(SIGNING_SECRET.to_owned().into())
        .sign(&timestamp, body.as_bytes());
    let url = format!("http://{}/slack/events", app.http_addr);
    let tampered = app
        .http_client()
        .post(&url)
        .header("x-slack-request-timestamp", &timestamp)
        .header("x-slack-signature", &signature)
        .body(body.replace("3eZ", "4eZ"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 401);
    let unsigned = app
        .http_client()
        .post(&url)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let too_big = app
        .http_client()
        .post(&url)
        .header("x-slack-request-timestamp", &timestamp)
        .header("x-slack-signature", &signature)
        .body(vec![b'x'; 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413);
}

#[tokio::test]
async fn channel_events_keep_the_notification_channel_true() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, channel) = ready_integration(&app, "team-1", &ws).await;
    let state = || async {
        app.get(&integration)
            .await
            .unwrap()
            .notification_channel
            .unwrap()
    };
    let mut n = 0;
    let mut event = |event: Value| {
        n += 1;
        callback(&format!("Ev{n:04}"), &ws, now(), event)
    };

    assert_eq!(
        app.post_event(&event(
            json!({"type": "channel_archive", "channel": channel})
        ))
        .await
        .status(),
        200
    );
    assert_eq!(state().await.state(), ChannelState::Archived);
    // The delivery engine respects it: a queued message is not posted into an archived channel.
    let err = send(&app, send_request(&integration, "m", "x", false))
        .await
        .unwrap_err();
    assert_error(
        &err,
        tonic::Code::FailedPrecondition,
        "NOTIFICATION_CHANNEL_UNAVAILABLE",
    );

    app.post_event(&event(
        json!({"type": "channel_unarchive", "channel": channel}),
    ))
    .await;
    assert_eq!(state().await.state(), ChannelState::Ready);

    app.post_event(&event(json!({"type": "channel_rename", "channel": {"id": channel, "name": "ops-alerts", "created": 1}})))
        .await;
    assert_eq!(state().await.channel_name, "ops-alerts");

    // Another user leaving changes nothing; the bot leaving does.
    app.post_event(&event(
        json!({"type": "member_left_channel", "user": "U0SOMEONE", "channel": channel}),
    ))
    .await;
    assert_eq!(state().await.state(), ChannelState::Ready);
    let bot = app
        .get(&integration)
        .await
        .unwrap()
        .slack_workspace
        .unwrap()
        .bot_user_id;
    app.post_event(&event(
        json!({"type": "member_left_channel", "user": bot, "channel": channel}),
    ))
    .await;
    assert_eq!(state().await.state(), ChannelState::BotRemoved);

    app.post_event(&event(
        json!({"type": "channel_deleted", "channel": channel}),
    ))
    .await;
    assert_eq!(state().await.state(), ChannelState::Deleted);
}

#[tokio::test]
async fn a_replayed_event_id_is_applied_once() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, channel) = ready_integration(&app, "team-1", &ws).await;
    let rename = |name: &str| {
        callback(
            "EvSAME",
            &ws,
            now(),
            json!({"type": "channel_rename", "channel": {"id": channel, "name": name}}),
        )
    };
    assert_eq!(app.post_event(&rename("first")).await.status(), 200);
    // Slack's retry of the same event id (here with a different body) is acknowledged, not applied.
    assert_eq!(app.post_event(&rename("second")).await.status(), 200);
    let ch = app
        .get(&integration)
        .await
        .unwrap()
        .notification_channel
        .unwrap();
    assert_eq!(ch.channel_name, "first");
}

#[tokio::test]
async fn revocations_revoke_unless_older_than_a_reinstall() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    // The same app in the same workspace: the same bot user, under another team.
    let other_team = app.install("team-2", &ws).await.unwrap();
    let ws2 = app.create_workspace("W2").await;
    let elsewhere = app.install("team-1", &ws2).await.unwrap();
    let bot = integration.slack_workspace.clone().unwrap().bot_user_id;

    // Sent before the integration connected (a late event about an earlier install).
    let old = callback(
        "EvOLD",
        &ws,
        now() - 3600,
        json!({"type": "app_uninstalled"}),
    );
    app.post_event(&old).await;
    assert_eq!(
        app.get(&integration.id).await.unwrap().status(),
        IntegrationStatus::Active
    );

    // tokens_revoked with only user tokens changes nothing.
    let users_only = callback(
        "EvUSER",
        &ws,
        now() + 1,
        json!({"type": "tokens_revoked", "tokens": {"oauth": ["U1"], "bot": []}}),
    );
    app.post_event(&users_only).await;
    assert_eq!(
        app.get(&integration.id).await.unwrap().status(),
        IntegrationStatus::Active
    );

    let revoked = callback(
        "EvBOT",
        &ws,
        now() + 1,
        json!({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [bot]}}),
    );
    app.post_event(&revoked).await;
    for id in [&integration.id, &other_team.id] {
        let after = app.get(id).await.unwrap();
        assert_eq!(after.status(), IntegrationStatus::Revoked);
        assert_eq!(after.status_reason, "tokens_revoked");
    }
    assert_eq!(
        app.get(&elsewhere.id).await.unwrap().status(),
        IntegrationStatus::Active
    );

    let uninstalled = callback(
        "EvUNINSTALL",
        &ws2,
        now() + 1,
        json!({"type": "app_uninstalled"}),
    );
    app.post_event(&uninstalled).await;
    let gone = app.get(&elsewhere.id).await.unwrap();
    assert_eq!(gone.status(), IntegrationStatus::Revoked);
    assert_eq!(gone.status_reason, "app_uninstalled");
}

#[tokio::test]
async fn a_late_revocation_does_not_undo_a_reconnect() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    app.post_event(&callback(
        "EvGONE",
        &ws,
        now() + 1,
        json!({"type": "app_uninstalled"}),
    ))
    .await;
    assert_eq!(
        app.get(&integration.id).await.unwrap().status(),
        IntegrationStatus::Revoked
    );

    // The user installs again: the duplicate's tokens reconnect the integration.
    let token = reconnect_details(&app.install("team-1", &ws).await.unwrap_err()).reconnect_token;
    let reconnected = app
        .client()
        .reconnect_integration(service(
            switchboard::proto::v1::ReconnectIntegrationRequest {
                integration_id: integration.id.clone(),
                reconnect_token: token,
                request_id: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reconnected.status(), IntegrationStatus::Active);

    // Slack's retry of a revocation from before the reconnect arrives late.
    let late = callback(
        "EvLATE",
        &ws,
        now() - 10,
        json!({"type": "tokens_revoked",
        "tokens": {"bot": [reconnected.slack_workspace.unwrap().bot_user_id]}}),
    );
    assert_eq!(app.post_event(&late).await.status(), 200);
    assert_eq!(
        app.get(&integration.id).await.unwrap().status(),
        IntegrationStatus::Active
    );
}

#[tokio::test]
async fn hostile_signed_requests_are_refused_never_failed() {
    let app = TestApp::spawn().await;
    let url = format!("http://{}/slack/events", app.http_addr);
    let verifier = switchboard::slack::SignatureVerifier::new(SIGNING_SECRET.to_owned().into());
    let post = |timestamp: String, body: String| {
        let signature = verifier.sign(&timestamp, body.as_bytes());
        app.http_client()
            .post(&url)
            .header("x-slack-request-timestamp", timestamp)
            .header("x-slack-signature", signature)
            .body(body)
            .send()
    };
    // A timestamp of now - 2^63: the window arithmetic must not overflow.
    let ancient = (i128::from(now()) - (1i128 << 63)).to_string();
    let answer = post(
        ancient,
        json!({"type": "url_verification", "challenge": "c"}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), 401);

    let ws = app.create_workspace("W").await;
    let cases = [
        callback(
            &"E".repeat(5000),
            &ws,
            now(),
            json!({"type": "app_uninstalled"}),
        ),
        // About 9,500 years before 1970: before anything Postgres can store.
        callback(
            "EvOld",
            &ws,
            -300_000_000_000,
            json!({"type": "app_uninstalled"}),
        ),
        callback(
            "EvNul",
            &ws,
            now(),
            json!({"type": "channel_rename", "channel": {"id": "C1", "name": "a\u{0}b"}}),
        ),
        callback(
            "EvNulId\u{0}",
            &ws,
            now(),
            json!({"type": "app_uninstalled"}),
        ),
    ];
    for body in cases {
        let answer = post(now().to_string(), body.to_string()).await.unwrap();
        assert_eq!(answer.status(), 400, "{body}");
    }
    // An odd event type is acknowledged and does not become a metric label.
    let odd = callback("EvOdd", &ws, now(), json!({"type": "x".repeat(300)}));
    assert_eq!(app.post_event(&odd).await.status(), 200);
    let metrics = app.http_get("/metrics").await.text().await.unwrap();
    assert!(
        !metrics.contains("xxxxxxxx"),
        "an event type became a label"
    );
    assert!(metrics.contains("switchboard_slack_events_total{type=\"other\"}"));
}

#[tokio::test]
async fn an_uninstall_in_the_second_of_the_install_revokes_it() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    // Slack stamps events in whole seconds: this one is the install's own second.
    let connected = integration.connect_time.unwrap().seconds;

    let uninstalled = callback(
        "EvSAMESECOND",
        &ws,
        connected,
        json!({"type": "app_uninstalled"}),
    );
    assert_eq!(app.post_event(&uninstalled).await.status(), 200);

    let after = app.get(&integration.id).await.unwrap();
    assert_eq!(after.status(), IntegrationStatus::Revoked);
    assert_eq!(after.status_reason, "app_uninstalled");
}
