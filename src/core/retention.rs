//! Retention: history kept only for a while (the event log; finished deliveries with their
//! attempts, handled Slack events, request ids) is removed a small batch per transaction,
//! periodically, by one replica at a time.

use std::{future::Future, time::Duration};

use tokio::sync::watch;

use super::{Core, CoreError};
use crate::store::{RemovedDeliveries, StoreError};

/// Rows removed per transaction, so none holds many row locks or runs long.
const RETENTION_BATCH: i64 = 1000;
/// Advisory lock key of the retention sweep: one replica at a time.
const RETENTION_SWEEP_LOCK: i64 = 0x7377_6264_6576_6e74;

/// How long each kind of history is kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// The event log (ListEvents, StreamEvents, webhooks).
    pub events: Duration,
    /// Finished deliveries and their attempts, and handled Slack events.
    pub deliveries: Duration,
}

/// What one sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    pub events: u64,
    pub request_ids: u64,
    pub deliveries: u64,
    pub attempts: u64,
    pub slack_events: u64,
}

/// What a batch removed, and whether it took a whole batch (then more may be left).
trait Batch: Default + Copy {
    fn taken(&self) -> u64;
    fn add(&mut self, other: Self);
}

impl Batch for u64 {
    fn taken(&self) -> u64 {
        *self
    }

    fn add(&mut self, other: Self) {
        *self += other;
    }
}

impl Batch for RemovedDeliveries {
    /// Deliveries kept because something queued needs them count as taken: the next
    /// batch starts past them.
    fn taken(&self) -> u64 {
        self.examined
    }

    fn add(&mut self, other: Self) {
        self.examined += other.examined;
        self.deliveries += other.deliveries;
        self.attempts += other.attempts;
        self.next = other.next;
    }
}

/// Runs `batch` (given what the one before did) until one takes less than a whole
/// batch; the sum of what they removed.
async fn in_batches<T, F, Fut>(mut batch: F) -> Result<T, StoreError>
where
    T: Batch,
    F: FnMut(&T) -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut total = T::default();
    loop {
        let removed = batch(&total).await?;
        let done = removed.taken() < RETENTION_BATCH as u64;
        total.add(removed);
        if done {
            return Ok(total);
        }
    }
}

impl Core {
    /// Removes everything older than `retention` keeps, a batch at a time.
    pub async fn remove_expired(&self, retention: Retention) -> Result<Removed, CoreError> {
        let store = &self.store;
        let events =
            in_batches(|_| store.remove_events_older_than(retention.events, RETENTION_BATCH))
                .await?;
        // Request ids first: the delivery a repeat answers with outlives its request id.
        let request_ids = in_batches(|_| store.remove_expired_request_ids(RETENTION_BATCH)).await?;
        let deliveries = in_batches(|so_far: &RemovedDeliveries| {
            store.remove_finished_deliveries(retention.deliveries, so_far.next, RETENTION_BATCH)
        })
        .await?;
        let slack_events = in_batches(|_| {
            store.remove_slack_events_older_than(retention.deliveries, RETENTION_BATCH)
        })
        .await?;
        Ok(Removed {
            events,
            request_ids,
            deliveries: deliveries.deliveries,
            attempts: deliveries.attempts,
            slack_events,
        })
    }
}

/// Every `every`, until `stop`, removes what `retention` no longer keeps, on one replica
/// at a time.
pub async fn run_retention(
    core: Core,
    retention: Retention,
    every: Duration,
    stop: watch::Receiver<bool>,
) {
    let store = core.store.clone();
    super::periodically_locked(&store, RETENTION_SWEEP_LOCK, every, stop, || async {
        match core.remove_expired(retention).await {
            Ok(removed) if removed == Removed::default() => {}
            Ok(removed) => tracing::info!(?removed, "retention removed old history"),
            Err(err) => tracing::warn!(error = %err, "retention sweep failed"),
        }
    })
    .await;
}
