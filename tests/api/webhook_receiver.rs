//! A webhook receiver for tests: axum on 127.0.0.1:0. It verifies every delivery with the
//! `standardwebhooks` crate (Svix's reference implementation, not our code) and refuses
//! what does not verify; it can answer 500 to the first N deliveries, or hold them until
//! released, and records every verified delivery in arrival order.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use serde_json::Value;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`: the event id.
    pub id: String,
    pub body: Value,
    /// Whether the receiver answered 2xx (or would have: a held one counts as accepted).
    pub accepted: bool,
    pub at: std::time::Instant,
}

#[derive(Default)]
struct Inner {
    secret: Option<String>,
    fail_next: usize,
    received: Vec<Received>,
    unverified: usize,
}

#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Mutex<Inner>>,
    /// While false, deliveries are held (recorded, not answered).
    open: watch::Sender<bool>,
    pub url: String,
}

async fn handle(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let verdict = {
        let mut inner = receiver.inner.lock().unwrap();
        let secret = inner.secret.clone().unwrap_or_default();
        let verified = standardwebhooks::Webhook::new(&secret)
            .and_then(|hook| hook.verify(&body, &headers))
            .is_ok();
        if !verified {
            inner.unverified += 1;
            return StatusCode::UNAUTHORIZED;
        }
        let accepted = inner.fail_next == 0;
        inner.fail_next = inner.fail_next.saturating_sub(1);
        inner.received.push(Received {
            id: headers["webhook-id"].to_str().unwrap().to_owned(),
            body: serde_json::from_slice(&body).expect("the body is JSON"),
            accepted,
            at: std::time::Instant::now(),
        });
        accepted
    };
    if !verdict {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let mut open = receiver.open.subscribe();
    let _ = open.wait_for(|open| *open).await;
    StatusCode::NO_CONTENT
}

impl Receiver {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let receiver = Self {
            inner: Arc::default(),
            open: watch::channel(true).0,
            url: format!("http://{addr}/hooks"),
        };
        let app = Router::new()
            .route("/hooks", post(handle))
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    /// The signing secret deliveries must verify with (from Create or RotateWebhookSecret).
    pub fn trust(&self, secret: &str) {
        self.inner.lock().unwrap().secret = Some(secret.to_owned());
    }

    /// Answers 500 to the next `n` verified deliveries.
    pub fn fail_next(&self, n: usize) {
        self.inner.lock().unwrap().fail_next = n;
    }

    /// Holds (records, does not answer) deliveries until `release`.
    pub fn hold(&self) {
        self.open.send_replace(false);
    }

    pub fn release(&self) {
        self.open.send_replace(true);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// Deliveries whose signature did not verify.
    pub fn unverified(&self) -> usize {
        self.inner.lock().unwrap().unverified
    }

    /// Ids of the accepted deliveries, first arrival of each, in arrival order.
    pub fn accepted_ids(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.received()
            .into_iter()
            .filter(|r| r.accepted && seen.insert(r.id.clone()))
            .map(|r| r.id)
            .collect()
    }

    /// Accepted deliveries of an id already accepted before (redeliveries).
    pub fn accepted_duplicates(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.received()
            .into_iter()
            .filter(|r| r.accepted && !seen.insert(r.id.clone()))
            .map(|r| r.id)
            .collect()
    }
}
