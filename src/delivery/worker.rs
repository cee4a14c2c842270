//! The worker loop: claim due lanes up to the in-flight limit, attempt each head in its own
//! task, record the outcome; sleep until a lane is due, a notification arrives or the poll
//! interval passes.

use std::{sync::Arc, time::Duration};

use sqlx::postgres::PgListener;
use tokio::{sync::watch, task::JoinSet};
use tracing::Instrument;
use uuid::Uuid;

use super::Engine;
use crate::store::{Claimed, OUTBOX_CHANNEL, Outcome};

/// Shortest sleep between claims when lanes are due soon (keeps the loop from spinning).
const MIN_SLEEP: Duration = Duration::from_millis(5);
/// How often a worker checks for lanes left idle with work in them.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

async fn listener(engine: &Engine) -> Option<PgListener> {
    let mut listener = PgListener::connect_with(engine.store.pool()).await.ok()?;
    listener.listen(OUTBOX_CHANNEL).await.ok()?;
    Some(listener)
}

/// Runs until `stop` turns true, then lets the deliveries in flight finish.
pub async fn run(engine: Engine, mut stop: watch::Receiver<bool>) {
    let engine = Arc::new(engine);
    let owner = Uuid::new_v4();
    let mut in_flight: JoinSet<()> = JoinSet::new();
    let mut notifications = listener(&engine).await;
    if notifications.is_none() {
        tracing::warn!("LISTEN failed; delivery workers fall back to polling");
    }
    tracing::info!(worker = %owner, "delivery worker started");
    let mut last_sweep = std::time::Instant::now();

    while !*stop.borrow() {
        if last_sweep.elapsed() >= SWEEP_EVERY {
            last_sweep = std::time::Instant::now();
            match engine.store.wake_stranded_lanes().await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(lanes = n, "woke lanes left idle with deliveries in them"),
                Err(err) => tracing::warn!(error = %err, "stranded-lane sweep failed"),
            }
        }
        let room = engine.config.max_in_flight.saturating_sub(in_flight.len());
        let claimed = if room == 0 {
            Vec::new()
        } else {
            match engine
                .store
                .claim(owner, room as i64, engine.config.lease, engine.config.pace)
                .await
            {
                Ok(claimed) => claimed,
                Err(err) => {
                    tracing::warn!(error = %err, "claim failed");
                    Vec::new()
                }
            }
        };
        if !claimed.is_empty() {
            for head in claimed {
                let engine = engine.clone();
                let span = tracing::info_span!(
                    "delivery_attempt",
                    delivery_id = %head.id,
                    channel_id = %head.channel_id,
                    kind = %head.kind,
                );
                in_flight
                    .spawn(async move { deliver(&engine, owner, head).await }.instrument(span));
            }
            continue;
        }

        let sleep = if room == 0 {
            engine.config.poll_interval
        } else {
            match engine.store.next_lane_time(engine.config.pace).await {
                Ok(Some(next)) => (next - chrono::Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .clamp(MIN_SLEEP, engine.config.poll_interval),
                _ => engine.config.poll_interval,
            }
        };
        tokio::select! {
            changed = stop.changed() => {
                // A dropped sender means the service is going away too.
                if changed.is_err() {
                    break;
                }
            }
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            _ = tokio::time::sleep(sleep) => {}
            notified = async {
                match notifications.as_mut() {
                    Some(listener) => listener.recv().await.map(|_| ()),
                    None => std::future::pending().await,
                }
            } => {
                if notified.is_err() {
                    notifications = listener(&engine).await;
                }
            }
        }
        while in_flight.try_join_next().is_some() {}
    }
    tracing::info!(worker = %owner, in_flight = in_flight.len(), "delivery worker stopping");
    while in_flight.join_next().await.is_some() {}
}

async fn deliver(engine: &Engine, owner: Uuid, head: Claimed) {
    let (outcome, attempt) = engine.attempt(&head).await;
    tracing::debug!(delivery_id = %head.id, ?outcome, "attempt finished");
    let m = crate::metrics::metrics();
    if let Some(attempt) = &attempt {
        m.attempts
            .with_label_values(&[
                attempt.outcome,
                attempt.slack_error.as_deref().unwrap_or(""),
            ])
            .inc();
    }
    let reached = match &outcome {
        Outcome::Sent { .. } => Some("sent"),
        Outcome::Failed { .. } => Some("failed"),
        Outcome::Retry { counted: true, .. } => Some("retrying"),
        Outcome::Retry { .. } | Outcome::Wait { .. } => None,
    };
    if let Some(state) = reached {
        m.deliveries.with_label_values(&[state]).inc();
    }
    if let Err(err) = engine
        .store
        .finish(owner, &head, &outcome, attempt.as_ref())
        .await
    {
        // The lease runs out and the next worker reconciles before posting again.
        tracing::error!(delivery_id = %head.id, error = %err, "could not record an attempt");
    }
}
