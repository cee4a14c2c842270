//! Checking switchboard's webhook deliveries (Standard Webhooks) with the specification's
//! own Rust library, and reading the event they carry (proto JSON).

use std::sync::LazyLock;

use prost_reflect::{DescriptorPool, DeserializeOptions, DynamicMessage};

use crate::proto::v1;

static DESCRIPTORS: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(
        include_bytes!(concat!(env!("OUT_DIR"), "/switchboard.v1.binpb")).as_slice(),
    )
    .expect("build.rs wrote a valid descriptor set")
});

/// Why a delivery was refused: answer it with 400 and ignore it.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Missing or malformed headers, a signature that does not match, or a timestamp more
    /// than 5 minutes from now (the library's verdict).
    #[error("webhook not verified: {0}")]
    Verification(#[from] standardwebhooks::WebhookError),
    /// Genuine, but not an event this client can read.
    #[error("webhook body is not an event: {0}")]
    Payload(String),
}

/// Verifies the deliveries of one webhook subscription: `webhook-id`, `webhook-timestamp`
/// (within 5 minutes of now) and `webhook-signature` (HMAC-SHA256 with the `whsec_` secret
/// CreateWebhookSubscription or RotateWebhookSecret answered), by the `standardwebhooks`
/// crate.
pub struct WebhookVerifier {
    webhook: standardwebhooks::Webhook,
}

impl WebhookVerifier {
    /// Fails when the secret is not `whsec_` + base64.
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        Ok(Self {
            webhook: standardwebhooks::Webhook::new(secret)?,
        })
    }

    /// The event a delivery carries, from its raw body (as received) and headers. The
    /// event's `id` is the `webhook-id`: a redelivery has the same one.
    pub fn verify(
        &self,
        body: &[u8],
        headers: &http::HeaderMap,
    ) -> Result<v1::Event, WebhookError> {
        self.webhook.verify(body, headers)?;
        let descriptor = DESCRIPTORS
            .get_message_by_name("switchboard.v1.Event")
            .expect("Event is in the descriptor set");
        let mut json = serde_json::Deserializer::from_slice(body);
        // Fields a newer service may add are skipped.
        let options = DeserializeOptions::new().deny_unknown_fields(false);
        let payload = |e: &dyn std::fmt::Display| WebhookError::Payload(e.to_string());
        DynamicMessage::deserialize_with_options(descriptor, &mut json, &options)
            .map_err(|e| payload(&e))?
            .transcode_to()
            .map_err(|e| payload(&e))
    }
}
