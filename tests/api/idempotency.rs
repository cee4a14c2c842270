//! AIP-155 request ids on UpdateMessage, DeleteMessage and ReconnectIntegration, and
//! deletes that are deleted already.

use switchboard::proto::v1::{self, DeliveryKind, DeliveryState};
use tonic::{Code, Status};

use crate::{helpers::*, messaging_helpers::*};

async fn update(
    app: &TestApp,
    integration: &str,
    body: &str,
    request_id: Option<&str>,
) -> Result<v1::Delivery, Status> {
    messaging(app)
        .update_message(service(v1::UpdateMessageRequest {
            integration_id: integration.into(),
            internal_message_id: "m".into(),
            message: text(body),
            wait_for_delivery: true,
            request_id: request_id.map(str::to_owned),
        }))
        .await
        .map(|r| r.into_inner())
}

async fn delete(
    app: &TestApp,
    integration: &str,
    request_id: Option<&str>,
) -> Result<v1::Delivery, Status> {
    messaging(app)
        .delete_message(service(v1::DeleteMessageRequest {
            integration_id: integration.into(),
            internal_message_id: "m".into(),
            wait_for_delivery: true,
            request_id: request_id.map(str::to_owned),
        }))
        .await
        .map(|r| r.into_inner())
}

async fn deliveries(app: &TestApp, integration: &str) -> Vec<v1::Delivery> {
    messaging(app)
        .list_deliveries(service(v1::ListDeliveriesRequest {
            integration_id: integration.into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .deliveries
}

#[tokio::test]
async fn a_repeated_update_or_delete_answers_the_first_and_queues_nothing() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    send(&app, send_request(&integration, "m", "v1", true))
        .await
        .unwrap();

    let first = update(&app, &integration, "v2", Some("upd-1"))
        .await
        .unwrap();
    let again = update(&app, &integration, "v2", Some("upd-1"))
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.state(), DeliveryState::Sent);
    let err = update(&app, &integration, "v3", Some("upd-1"))
        .await
        .unwrap_err();
    assert_error(&err, Code::AlreadyExists, "REQUEST_ID_ALREADY_USED");

    let deleted = delete(&app, &integration, Some("del-1")).await.unwrap();
    assert_eq!(deleted.kind(), DeliveryKind::Delete);
    assert_eq!(deleted.state(), DeliveryState::Sent);
    let repeat = delete(&app, &integration, Some("del-1")).await.unwrap();
    assert_eq!(repeat.id, deleted.id);
    // Without a request id too: the message is gone, and that is what was asked.
    let plain = delete(&app, &integration, None).await.unwrap();
    assert_eq!(plain.id, deleted.id);
    assert_eq!(plain.state(), DeliveryState::Sent);

    let kinds: Vec<_> = deliveries(&app, &integration)
        .await
        .iter()
        .map(|d| d.kind())
        .collect();
    assert_eq!(
        kinds,
        [
            DeliveryKind::Post,
            DeliveryKind::Update,
            DeliveryKind::Delete
        ]
    );
    let posted = sim_messages(&app).await;
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0]["edits"], 1);
    assert_eq!(posted[0]["deleted"], true);
}

#[tokio::test]
async fn deleting_a_message_already_deleted_in_slack_succeeds() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, channel) = ready_integration(&app, "team-1", &ws).await;
    let post = send(&app, send_request(&integration, "m", "bye", true))
        .await
        .unwrap();
    // Someone removes it in Slack first.
    let token = app.stored_access_token(&integration).await;
    let gone: serde_json::Value = app
        .http_client()
        .post(format!("{}/chat.delete", app.sim.api_url()))
        .bearer_auth(token)
        .form(&[
            ("channel", channel.as_str()),
            ("ts", post.slack_ts.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(gone["ok"], true, "{gone}");

    let deleted = delete(&app, &integration, None).await.unwrap();

    assert_eq!(deleted.state(), DeliveryState::Sent, "{deleted:?}");
}

#[tokio::test]
async fn a_repeated_reconnect_answers_the_reconnected_integration() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    let token = reconnect_details(&app.install("team-1", &ws).await.unwrap_err()).reconnect_token;
    let reconnect = |token: String, request_id: Option<&str>| {
        let request_id = request_id.map(str::to_owned);
        let id = integration.id.clone();
        async {
            app.client()
                .reconnect_integration(service(v1::ReconnectIntegrationRequest {
                    integration_id: id,
                    reconnect_token: token,
                    request_id,
                }))
                .await
                .map(|r| r.into_inner())
        }
    };

    let first = reconnect(token.clone(), Some("rc-1")).await.unwrap();
    let again = reconnect(token.clone(), Some("rc-1")).await.unwrap();

    assert_eq!(first.reconnect_count, 1);
    assert_eq!(again.id, first.id);
    assert_eq!(again.reconnect_count, 1, "applied once");
    let err = reconnect("another-token".into(), Some("rc-1"))
        .await
        .unwrap_err();
    assert_error(&err, Code::AlreadyExists, "REQUEST_ID_ALREADY_USED");
    // Without a request id, the spent token says so, as before.
    let err = reconnect(token, None).await.unwrap_err();
    assert_error(&err, Code::FailedPrecondition, "RECONNECT_TOKEN_INVALID");
    let err = reconnect("t".into(), Some(&"x".repeat(129)))
        .await
        .unwrap_err();
    assert!(field_violations(&err).contains_key("request_id"));
}
