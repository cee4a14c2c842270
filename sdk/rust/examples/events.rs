//! Hearing from switchboard: a webhook receiver that verifies each delivery's Standard
//! Webhooks signature, and the event stream, which resumes by itself after a dropped
//! connection. It sends a message to the team's integration and prints its `delivery.sent`
//! as both saw it.
//!
//!     cargo run -p switchboard-client --example walkthrough   # installs the app first
//!     cargo run -p switchboard-client --example events
//!
//! Settings as the walkthrough's (SWITCHBOARD_ADDR, SWITCHBOARD_API_KEY, SWITCHBOARD_TEAM_ID)
//! and SWITCHBOARD_WEBHOOK_HOST, the address the service reaches this receiver at (default
//! 127.0.0.1, which the service accepts with SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true).

use std::{sync::Arc, time::Duration};

use axum::{body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use futures_util::{StreamExt, TryStreamExt};
use switchboard_client::{Client, StreamPolicy, WebhookVerifier, proto::v1};
use tokio::sync::{OnceCell, mpsc};

fn setting(name: &str, default: impl FnOnce() -> String) -> String {
    std::env::var(name).unwrap_or_else(|_| default())
}

/// The receiver's state: the verifier, once the subscription (and its secret) exists, and
/// where genuine events go.
struct Receiver {
    verifier: OnceCell<WebhookVerifier>,
    events: mpsc::UnboundedSender<v1::Event>,
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(verifier) = receiver.verifier.get() else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    match verifier.verify(&body, &headers) {
        Ok(event) => {
            let _ = receiver.events.send(event);
            StatusCode::NO_CONTENT
        }
        Err(_) => StatusCode::BAD_REQUEST, // not from switchboard: ignore it
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = setting("SWITCHBOARD_API_KEY", || {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.local/dev-api-key");
        std::fs::read_to_string(path).expect("SWITCHBOARD_API_KEY or make run's .local/dev-api-key")
    });
    let client = Client::builder(setting("SWITCHBOARD_ADDR", || "localhost:50051".into()))
        .credential(key.trim())
        .connect()
        .await?;
    let team = setting("SWITCHBOARD_TEAM_ID", || "example-team".into());
    let host = setting("SWITCHBOARD_WEBHOOK_HOST", || "127.0.0.1".into());

    // 1. A webhook receiver, subscribed to the team's delivery events. It listens first (its
    // URL is part of the subscription); the signing secret is answered once, here.
    let (sender, mut webhooks) = mpsc::unbounded_channel();
    let receiver = Arc::new(Receiver {
        verifier: OnceCell::new(),
        events: sender,
    });
    let listener = tokio::net::TcpListener::bind((host.as_str(), 0)).await?;
    let url = format!("http://{host}:{}/webhooks", listener.local_addr()?.port());
    let app = axum::Router::new()
        .route("/webhooks", post(receive))
        .with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let subscription = client
        .events()
        .create_webhook_subscription(v1::CreateWebhookSubscriptionRequest {
            subscription: Some(v1::WebhookSubscription {
                team_id: team.clone(),
                url,
                event_types: vec!["delivery.sent".into()],
                ..Default::default()
            }),
        })
        .await?
        .into_inner();
    let _ = receiver
        .verifier
        .set(WebhookVerifier::new(&subscription.signing_secret)?);
    println!(
        "webhook subscription {} -> {}",
        subscription.id, subscription.url
    );

    // 2. The team's delivery events, from the start of the log.
    let request = v1::StreamEventsRequest {
        team_id: team.clone(),
        types: vec!["delivery.sent".into()],
        ..Default::default()
    };
    let (position, stream) = client.event_stream(request, StreamPolicy::default());
    let mut stream = Box::pin(stream);

    // 3. Something to hear about: a message to the team's integration.
    let integrations: Vec<v1::Integration> = client
        .all_integrations(v1::ListIntegrationsRequest {
            team_id: team.clone(),
            ..Default::default()
        })
        .try_collect()
        .await?;
    let integration = integrations.last().ok_or(format!(
        "team {team} has no integration: run the walkthrough first"
    ))?;
    let sent = client
        .messaging()
        .send_message(v1::SendMessageRequest {
            integration_id: integration.id.clone(),
            message: Some(v1::Message {
                text: "Hello from the events example".into(),
                ..Default::default()
            }),
            wait_for_delivery: true,
            ..Default::default()
        })
        .await?
        .into_inner();
    let ours = |event: &v1::Event| matches!(&event.payload, Some(v1::event::Payload::DeliverySent(d)) if d.internal_message_id == sent.internal_message_id);

    // 4. Both see its delivery.sent (the stream replays older ones first).
    let heard = async {
        while let Some(event) = stream.next().await {
            let event = event?;
            if ours(&event) {
                println!("stream: {event:?}");
                break;
            }
        }
        while let Some(event) = webhooks.recv().await {
            if ours(&event) {
                println!("webhook: {event:?}");
                break;
            }
        }
        Ok::<_, switchboard_client::Error>(())
    };
    let outcome = tokio::time::timeout(Duration::from_secs(60), heard).await;
    client
        .events()
        .delete_webhook_subscription(v1::DeleteWebhookSubscriptionRequest {
            subscription_id: subscription.id,
        })
        .await?;
    outcome.map_err(|_| "no delivery.sent within 60 s")??;
    println!(
        "resume the stream later from cursor {:?}",
        position.cursor()
    );
    Ok(())
}
