//! The worker loop: claim due lanes up to the in-flight limit, attempt each head in its own
//! task, record the outcome; sleep until a lane is due, a notification arrives (the store's
//! outbox wake-ups) or the poll interval passes. A heartbeat keeps the leases of running
//! attempts alive.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::{sync::watch, task::JoinSet};
use tracing::Instrument;
use uuid::Uuid;

use super::{
    Engine,
    attempt::attempt_span,
    lease::{Holding, Leases},
};
use crate::store::{Claimed, Finished, Outcome};

/// Shortest sleep between claims when lanes are due soon (keeps the loop from spinning).
const MIN_SLEEP: Duration = Duration::from_millis(5);
/// How often a worker checks for lanes left idle with work in them.
const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// Runs until `stop` turns true, then lets the deliveries in flight finish.
pub async fn run(engine: Engine, mut stop: watch::Receiver<bool>) {
    let engine = Arc::new(engine);
    let owner = Uuid::new_v4();
    let leases = Leases::new(owner);
    let (heartbeat_stop, heartbeat_stopped) = watch::channel(false);
    let heartbeat = tokio::spawn(leases.clone().heartbeat(engine.clone(), heartbeat_stopped));
    let mut in_flight: JoinSet<()> = JoinSet::new();
    let mut notifications = engine.store.outbox_wakeups().await;
    tracing::info!(worker = %owner, "delivery worker started");
    let mut last_sweep = Instant::now();

    while !*stop.borrow() {
        if last_sweep.elapsed() >= SWEEP_EVERY {
            last_sweep = Instant::now();
            match engine.store.wake_stranded_lanes().await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(lanes = n, "woke lanes left idle with deliveries in them"),
                Err(err) => tracing::warn!(error = %err, "stranded-lane sweep failed"),
            }
        }
        notifications.resubscribe_if_due().await;
        let room = engine.config.max_in_flight.saturating_sub(in_flight.len());
        let claimed = if room == 0 {
            Vec::new()
        } else {
            // Taken before the claim is sent: the lease cannot end earlier than this says.
            let lease_end = Instant::now() + engine.config.lease;
            match engine
                .store
                .claim(owner, room as i64, engine.lease_terms(), engine.config.pace)
                .await
            {
                Ok(claimed) => claimed
                    .into_iter()
                    .map(|head| {
                        let holding = leases.hold(&head, lease_end);
                        (head, holding)
                    })
                    .collect(),
                Err(err) => {
                    tracing::warn!(error = %err, "claim failed");
                    Vec::new()
                }
            }
        };
        if !claimed.is_empty() {
            for (head, holding) in claimed {
                let engine = engine.clone();
                let span = attempt_span(&head);
                in_flight.spawn(
                    async move { deliver(&engine, owner, head, holding).await }.instrument(span),
                );
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
            _ = notifications.recv() => {}
        }
        while in_flight.try_join_next().is_some() {}
    }
    tracing::info!(worker = %owner, in_flight = in_flight.len(), "delivery worker stopping");
    while in_flight.join_next().await.is_some() {}
    let _ = heartbeat_stop.send(true);
    let _ = heartbeat.await;
}

async fn deliver(engine: &Engine, owner: Uuid, head: Claimed, holding: Holding) {
    let (outcome, attempt) = engine.attempt(&head, &holding.clock).await;
    tracing::debug!(delivery_id = %head.id, ?outcome, "attempt finished");
    let recorded = engine
        .store
        .finish(
            owner,
            &head,
            &outcome,
            attempt.as_ref(),
            engine.lease_terms(),
        )
        .await;
    drop(holding);
    match recorded {
        Ok(Finished::Recorded) => {}
        Ok(Finished::Fenced) => {
            // Our lease ran out and another worker took the lane: it owns the delivery now
            // and reconciles whatever this attempt did once the attempt has settled.
            tracing::warn!(delivery_id = %head.id, ?outcome, "lease lost during the attempt; left to the lane's new owner");
            return;
        }
        Err(err) => {
            // The lease runs out and the next worker reconciles before posting again.
            tracing::error!(delivery_id = %head.id, error = %err, "could not record an attempt");
            return;
        }
    }
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
        Outcome::Retry { .. } | Outcome::Wait { .. } | Outcome::Settle { .. } => None,
    };
    if let Some(state) = reached {
        m.deliveries.with_label_values(&[state]).inc();
    }
}
