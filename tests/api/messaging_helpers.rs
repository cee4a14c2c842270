//! Shared by the messaging tests: an integration ready to send, and shorthands.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};
use switchboard::proto::v1::{
    self, DeliveryState, channel_service_client::ChannelServiceClient,
    messaging_service_client::MessagingServiceClient,
};
use tonic::{Status, transport::Channel};

use crate::helpers::*;

pub fn messaging(app: &TestApp) -> MessagingServiceClient<Channel> {
    MessagingServiceClient::new(app.channel.clone())
}

/// An installed integration of `team` whose notification channel is a fresh channel;
/// returns (integration id, workspace id, channel id).
pub async fn ready_integration(app: &TestApp, team: &str, workspace: &str) -> (String, String) {
    let integration = app.install(team, workspace).await.unwrap();
    let created = app
        .sim_post(
            &format!("/_sim/workspaces/{workspace}/channels"),
            json!({"name": format!("alerts-{team}")}),
        )
        .await;
    let channel = created[0]["id"].as_str().unwrap().to_owned();
    ChannelServiceClient::new(app.channel.clone())
        .set_notification_channel(service(v1::SetNotificationChannelRequest {
            integration_id: integration.id.clone(),
            channel_id: channel.clone(),
        }))
        .await
        .unwrap();
    (integration.id, channel)
}

pub fn text(text: &str) -> Option<v1::Message> {
    Some(v1::Message {
        text: text.into(),
        ..Default::default()
    })
}

pub fn send_request(integration: &str, id: &str, body: &str, wait: bool) -> v1::SendMessageRequest {
    v1::SendMessageRequest {
        integration_id: integration.into(),
        message: text(body),
        internal_message_id: id.into(),
        message_type: String::new(),
        wait_for_delivery: wait,
    }
}

pub async fn send(app: &TestApp, request: v1::SendMessageRequest) -> Result<v1::Delivery, Status> {
    messaging(app)
        .send_message(service(request))
        .await
        .map(|r| r.into_inner())
}

pub async fn reply(
    app: &TestApp,
    integration: &str,
    parent: &str,
    id: &str,
    body: &str,
    wait: bool,
) -> v1::Delivery {
    messaging(app)
        .reply_to_message(service(v1::ReplyToMessageRequest {
            integration_id: integration.into(),
            parent_internal_message_id: parent.into(),
            message: text(body),
            internal_message_id: id.into(),
            reply_broadcast: false,
            wait_for_delivery: wait,
            message_type: String::new(),
        }))
        .await
        .unwrap()
        .into_inner()
}

pub async fn get_delivery(app: &TestApp, id: &str) -> v1::Delivery {
    messaging(app)
        .get_delivery(service(v1::GetDeliveryRequest {
            delivery_id: id.into(),
            integration_id: String::new(),
        }))
        .await
        .unwrap()
        .into_inner()
}

/// Waits until every delivery is final; returns them. The bound only catches a hang.
pub async fn settle(app: &TestApp, ids: &[String]) -> Vec<v1::Delivery> {
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    while std::time::Instant::now() < deadline {
        let all = join_all(ids.iter().map(|id| get_delivery(app, id))).await;
        if all.iter().all(|d| {
            matches!(
                d.state(),
                DeliveryState::Sent | DeliveryState::Failed | DeliveryState::Cancelled
            )
        }) {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deliveries did not settle in 180 s");
}

/// Every message the simulator accepted.
pub async fn sim_messages(app: &TestApp) -> Vec<Value> {
    app.sim_get("/_sim/messages").await["messages"]
        .as_array()
        .unwrap()
        .clone()
}

pub async fn sim_rate_limited(app: &TestApp) -> u64 {
    app.sim_get("/_sim/messages").await["rate_limited"]
        .as_u64()
        .unwrap()
}

/// Queues `count` messages `m0, m1, ...` (text `0, 1, ...`) without waiting; their ids.
pub async fn send_numbered(app: &TestApp, integration: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let request = send_request(integration, &format!("m{n}"), &n.to_string(), false);
        ids.push(send(app, request).await.unwrap().id);
    }
    ids
}
