//! Messages sent the way a product sends them: SendMessage and BatchSendMessages over gRPC.

use switchboard::proto::v1::{self, messaging_service_client::MessagingServiceClient};
use tonic::transport::Channel;

use super::{authed, unix_micros};

/// A SendMessage request: `text` to `integration`, idempotency key `id`.
pub fn message(integration: &str, text: String, id: String) -> v1::SendMessageRequest {
    v1::SendMessageRequest {
        integration_id: integration.to_owned(),
        message: Some(v1::Message {
            text,
            ..Default::default()
        }),
        internal_message_id: id,
        ..Default::default()
    }
}

/// Sends one message; its delivery id and when the answer (so the commit) came, unix µs.
pub async fn send(grpc: Channel, request: v1::SendMessageRequest) -> (String, i64) {
    let delivery = MessagingServiceClient::new(grpc)
        .send_message(authed(request))
        .await
        .expect("SendMessage")
        .into_inner();
    (delivery.id, unix_micros())
}

/// Sends a batch; the delivery ids, in order. Every item must be queued.
pub async fn send_batch(grpc: Channel, requests: Vec<v1::SendMessageRequest>) -> Vec<String> {
    let answer = MessagingServiceClient::new(grpc)
        .batch_send_messages(authed(v1::BatchSendMessagesRequest {
            requests,
            request_id: None,
        }))
        .await
        .expect("BatchSendMessages")
        .into_inner();
    answer
        .results
        .into_iter()
        .map(|r| match r.result {
            Some(v1::batch_send_result::Result::Delivery(d)) => d.id,
            other => panic!("a batch item was not queued: {other:?}"),
        })
        .collect()
}
