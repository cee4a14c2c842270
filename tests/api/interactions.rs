//! `POST /slack/interactions`: clicks on buttons of messages switchboard sent become
//! `slack.interaction` events; forged, stale, replayed and foreign clicks do not.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};
use switchboard::proto::v1::{self, event::Payload};

use crate::{
    events_log::{events_client, list},
    helpers::*,
    hostile::blocks,
    messaging_helpers::*,
};

const INTERACTION: &str = "slack.interaction";

/// Points the simulator's clicks at the service, signed with its signing secret.
async fn clicks_go_to_the_service(app: &TestApp) {
    let url = format!("http://{}/slack/interactions", app.http_addr);
    app.sim_post(
        "/_sim/config",
        json!({"signing_secret": SIGNING_SECRET, "interactivity_url": url}),
    )
    .await;
}

/// A message with an approve button, sent and delivered; (delivery, its Slack ts).
async fn message_with_button(app: &TestApp, integration: &str, id: &str) -> v1::Delivery {
    let message = blocks(vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": "Order 42 needs approval"}}),
        json!({"type": "actions", "block_id": "approval", "elements": [
            {"type": "button", "action_id": "approve", "value": "order-42",
             "text": {"type": "plain_text", "text": "Approve"}},
        ]}),
    ]);
    let request = v1::SendMessageRequest {
        integration_id: integration.into(),
        message,
        internal_message_id: id.into(),
        message_type: String::new(),
        wait_for_delivery: true,
    };
    let delivery = send(app, request).await.unwrap();
    assert_eq!(delivery.state(), v1::DeliveryState::Sent);
    delivery
}

/// Clicks the approve button as `user` through the simulator; what it sent.
async fn click(app: &TestApp, delivery: &v1::Delivery, user: &str) -> Value {
    let sent = app
        .sim_post(
            "/_sim/interactions/click",
            json!({"channel": delivery.channel_id, "ts": delivery.slack_ts,
                   "action_id": "approve", "user": user}),
        )
        .await;
    assert_eq!(sent["status"], 200, "the service acknowledged the click");
    sent
}

/// Posts a form body to /slack/interactions with these headers.
async fn post_raw(app: &TestApp, body: &str, timestamp: &str, signature: &str) -> u16 {
    app.http_client()
        .post(format!("http://{}/slack/interactions", app.http_addr))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", timestamp)
        .header("x-slack-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .expect("POST /slack/interactions")
        .status()
        .as_u16()
}

/// Posts `payload` as Slack would, signed with `secret`, `age_secs` old.
async fn post_signed(app: &TestApp, payload: &Value, secret: &str, age_secs: i64) -> u16 {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish();
    let timestamp = (chrono::Utc::now().timestamp() - age_secs).to_string();
    let signature =
        switchboard::slack::SignatureVerifier::new(SecretString::from(secret.to_owned()))
            .sign(&timestamp, body.as_bytes());
    post_raw(app, &body, &timestamp, &signature).await
}

/// The payload the simulator sent, as JSON.
fn payload_of(sent: &Value) -> Value {
    let body = sent["body"].as_str().unwrap();
    let (_, payload) = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "payload")
        .unwrap();
    serde_json::from_str(&payload).unwrap()
}

/// The team's `slack.interaction` events once `count` are visible (an event shows once
/// every older transaction in the cluster has ended).
async fn interactions(app: &TestApp, team: &str, count: usize) -> Vec<v1::SlackInteraction> {
    let mut client = events_client(app);
    let mut found = Vec::new();
    wait_for(
        "the interactions to be visible",
        Duration::from_secs(30),
        async || {
            let page = client
                .list_events(service(list(team, &[INTERACTION], 100, "")))
                .await
                .unwrap()
                .into_inner();
            found = page
                .events
                .into_iter()
                .map(|e| match e.payload {
                    Some(Payload::SlackInteraction(p)) => p,
                    other => panic!("a {INTERACTION} payload, got {other:?}"),
                })
                .collect();
            found.len() >= count
        },
    )
    .await;
    found
}

/// The service with clicks pointed at it, and team-1's message `id` with a button,
/// delivered in a workspace: (app, workspace id, delivery).
async fn arranged(id: &str) -> (TestApp, String, v1::Delivery) {
    let app = TestApp::spawn().await;
    clicks_go_to_the_service(&app).await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let delivery = message_with_button(&app, &integration, id).await;
    (app, ws, delivery)
}

/// Clicks as `users[1]`, waits for its event, and checks that team-1's interactions are
/// exactly the clicks of `users`: whatever was posted in between appended nothing.
async fn last_click_shows_alone(app: &TestApp, delivery: &v1::Delivery, users: [&str; 2]) {
    click(app, delivery, users[1]).await;
    let events = interactions(app, "team-1", 2).await;
    let seen: Vec<&str> = events.iter().map(|e| e.user_id.as_str()).collect();
    assert_eq!(seen, users);
}

#[tokio::test]
async fn a_click_is_one_event_tied_to_its_delivery_and_forgeries_and_replays_are_not() {
    let (app, ws, delivery) = arranged("order-42-approval").await;
    let channel = delivery.channel_id.clone();

    let sent = click(&app, &delivery, "U0CLICKER").await;

    let events = interactions(&app, "team-1", 1).await;
    let expected = v1::SlackInteraction {
        action_id: "approve".into(),
        block_id: "approval".into(),
        value: "order-42".into(),
        user_id: "U0CLICKER".into(),
        channel_id: channel,
        message_ts: delivery.slack_ts.clone(),
        delivery_id: delivery.id.clone(),
        internal_message_id: "order-42-approval".into(),
        workspace_id: ws,
    };
    assert_eq!(events, [expected]);

    // The same signed request again (a replay, or Slack's retry): acknowledged, not emitted.
    let (body, timestamp, signature) = (
        sent["body"].as_str().unwrap(),
        sent["timestamp"].as_str().unwrap(),
        sent["signature"].as_str().unwrap(),
    );
    assert_eq!(post_raw(&app, body, timestamp, signature).await, 200);
    // A fresh gesture, but forged (wrong secret) or stale (past the 300 s window).
    let mut fresh = payload_of(&sent);
    fresh["trigger_id"] = json!("999.888.forged");
    assert_eq!(post_signed(&app, &fresh, "not-the-secret", 0).await, 401);
    assert_eq!(post_signed(&app, &fresh, SIGNING_SECRET, 301).await, 401);
    // A body changed after signing.
    assert_eq!(
        post_raw(
            &app,
            &body.replace("order-42", "order-43"),
            timestamp,
            signature
        )
        .await,
        401
    );

    // A second genuine click shows; once it is visible nothing else came in between.
    last_click_shows_alone(&app, &delivery, ["U0CLICKER", "U0SECOND"]).await;
}

#[tokio::test]
async fn clicks_on_messages_switchboard_did_not_send_are_ignored() {
    let (app, ws, delivery) = arranged("ours").await;
    let genuine = payload_of(&click(&app, &delivery, "U0FIRST").await);
    interactions(&app, "team-1", 1).await;

    // Another workspace, no metadata, at the very channel and ts of our message.
    let mut foreign = genuine.clone();
    foreign["team"] = json!({"id": "T0OTHER"});
    foreign["user"] = json!({"id": "U0FOREIGN", "team_id": "T0OTHER"});
    foreign["trigger_id"] = json!("1.2.foreign");
    foreign["message"]
        .as_object_mut()
        .unwrap()
        .remove("metadata");
    assert_eq!(post_signed(&app, &foreign, SIGNING_SECRET, 0).await, 200);
    // Another workspace naming our delivery in its metadata.
    foreign["trigger_id"] = json!("1.2.forged-metadata");
    foreign["message"]["metadata"] = genuine["message"]["metadata"].clone();
    assert_eq!(post_signed(&app, &foreign, SIGNING_SECRET, 0).await, 200);
    // Our workspace, a message we did not send.
    let mut theirs = genuine.clone();
    theirs["trigger_id"] = json!("1.2.theirs");
    theirs["message"] = json!({"type": "message", "ts": "1700000000.000100", "text": "hi"});
    theirs["container"]["message_ts"] = json!("1700000000.000100");
    assert_eq!(post_signed(&app, &theirs, SIGNING_SECRET, 0).await, 200);
    // Other payload types are acknowledged and ignored; a form without payload is refused.
    let modal = json!({"type": "view_submission", "team": {"id": ws}, "view": {"id": "V1"}});
    assert_eq!(post_signed(&app, &modal, SIGNING_SECRET, 0).await, 200);
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let signature = switchboard::slack::SignatureVerifier::new(SIGNING_SECRET.to_owned().into())
        .sign(&timestamp, b"nothing=here");
    assert_eq!(
        post_raw(&app, "nothing=here", &timestamp, &signature).await,
        400
    );

    last_click_shows_alone(&app, &delivery, ["U0FIRST", "U0LAST"]).await;
}
