//! This process's view of the lanes it holds: a heartbeat renews their leases while their
//! attempts run, and each attempt asks its lease clock before every call to Slack, so no
//! call is started that could outlive the lease it runs under.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use tokio::sync::watch;
use uuid::Uuid;

use super::Engine;
use crate::{
    domain::DeliveryId,
    store::{Claimed, HeldLane},
};

/// Until when this process may start calls for one claimed lane, by its own monotonic
/// clock. Always at or before the lease's expiry in Postgres: it is counted from an
/// instant taken before the statement that set the expiry was sent.
#[derive(Debug)]
pub struct LeaseClock {
    expiry: Mutex<Instant>,
}

impl LeaseClock {
    pub fn new(expiry: Instant) -> Self {
        Self {
            expiry: Mutex::new(expiry),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Instant> {
        self.expiry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How much of the lease is left.
    pub fn remaining(&self) -> Duration {
        self.lock().saturating_duration_since(Instant::now())
    }

    fn extend_to(&self, expiry: Instant) {
        let mut current = self.lock();
        *current = (*current).max(expiry);
    }

    /// The lane was claimed by someone else: no further call may start.
    fn lose(&self) {
        *self.lock() = Instant::now();
    }
}

/// The lanes this process holds, by the delivery attempted in each.
pub struct Leases {
    owner: Uuid,
    held: Mutex<HashMap<DeliveryId, (HeldLane, Arc<LeaseClock>)>>,
}

/// Keeps a lane in the heartbeat while its attempt runs.
pub struct Holding {
    leases: Arc<Leases>,
    delivery_id: DeliveryId,
    pub clock: Arc<LeaseClock>,
}

impl Drop for Holding {
    fn drop(&mut self) {
        self.leases.lock().remove(&self.delivery_id);
    }
}

impl Leases {
    pub fn new(owner: Uuid) -> Arc<Self> {
        Arc::new(Self {
            owner,
            held: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<DeliveryId, (HeldLane, Arc<LeaseClock>)>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a freshly claimed lane whose lease runs until `expiry` (local clock). An
    /// unsettled head calls nobody, so its lane is not renewed: renewing would push the
    /// settle time it waits for further out.
    pub fn hold(self: &Arc<Self>, head: &Claimed, expiry: Instant) -> Holding {
        let clock = Arc::new(LeaseClock::new(expiry));
        if !head.unsettled {
            let lane = HeldLane {
                workspace_id: head.workspace_id.clone(),
                channel_id: head.channel_id.clone(),
                lease_epoch: head.lease_epoch,
                delivery_id: head.id,
            };
            self.lock().insert(head.id, (lane, clock.clone()));
        }
        Holding {
            leases: self.clone(),
            delivery_id: head.id,
            clock,
        }
    }

    /// Renews every held lease a few times per lease period until `stop` turns true.
    pub async fn heartbeat(self: Arc<Self>, engine: Arc<Engine>, mut stop: watch::Receiver<bool>) {
        let every = engine.config.lease / HEARTBEATS_PER_LEASE;
        let mut pause = every;
        while !*stop.borrow() {
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.changed() => break,
            }
            let lanes: Vec<HeldLane> = self.lock().values().map(|(l, _)| l.clone()).collect();
            if lanes.is_empty() {
                continue;
            }
            let sent = Instant::now();
            match engine
                .store
                .renew_leases(self.owner, &lanes, engine.lease_terms())
                .await
            {
                Ok(renewed) => {
                    pause = every;
                    let renewed: HashSet<DeliveryId> = renewed.into_iter().collect();
                    let held = self.lock();
                    for lane in &lanes {
                        if let Some((_, clock)) = held.get(&lane.delivery_id) {
                            if renewed.contains(&lane.delivery_id) {
                                clock.extend_to(sent + engine.config.lease);
                            } else {
                                clock.lose();
                            }
                        }
                    }
                }
                Err(err) => {
                    // The clocks run down on their own, so attempts stop calling Slack in
                    // time; try again sooner than usual.
                    pause = every / 4;
                    tracing::warn!(error = %err, lanes = lanes.len(), "lease renewal failed");
                }
            }
        }
    }
}

/// Renewals per lease period: a renewal can fail or come late a few times before an
/// attempt has to stop calling Slack.
const HEARTBEATS_PER_LEASE: u32 = 4;
