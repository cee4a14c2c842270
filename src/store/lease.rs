//! What a worker does with a lane it leased: keep the lease alive while its attempt runs,
//! and record how the attempt ended, fenced by the lane's epoch so that a worker that lost
//! its lease never writes over the work of the lane's new owner.

use uuid::Uuid;

use super::{
    Store, StoreError,
    finish_batch::{Finished, PendingFinish, finish_once},
    outbox::{AttemptRecord, Claimed, LeaseTerms, Outcome, interval_sql},
    retrying,
};
use crate::domain::{ChannelId, DeliveryId, WorkspaceId};

/// A lane a worker holds, as the heartbeat names it.
#[derive(Debug, Clone)]
pub struct HeldLane {
    pub workspace_id: WorkspaceId,
    pub channel_id: ChannelId,
    pub lease_epoch: i64,
    /// The delivery being attempted in it.
    pub delivery_id: DeliveryId,
}

impl Store {
    /// Extends the leases of `held` that this worker still owns (same epoch) and pushes the
    /// settle time of their heads past the new expiry. Returns the delivery ids renewed;
    /// a lane missing from the answer was lost.
    pub async fn renew_leases(
        &self,
        owner: Uuid,
        held: &[HeldLane],
        terms: LeaseTerms,
    ) -> Result<Vec<DeliveryId>, StoreError> {
        if held.is_empty() {
            return Ok(Vec::new());
        }
        let mut workspaces = Vec::with_capacity(held.len());
        let mut channels = Vec::with_capacity(held.len());
        let mut epochs = Vec::with_capacity(held.len());
        let mut ids = Vec::with_capacity(held.len());
        for lane in held {
            workspaces.push(&lane.workspace_id);
            channels.push(&lane.channel_id);
            epochs.push(lane.lease_epoch);
            ids.push(lane.delivery_id);
        }
        // One statement: the lanes still ours get a new expiry, and their heads a settle
        // time past it (a delivery whose settle time was cleared is finished: left alone).
        let renewed: Vec<DeliveryId> = sqlx::query_scalar(&format!(
            "WITH renewed AS (
                 UPDATE channel_lanes l SET lease_expire_time = now() + interval '{lease}'
                 FROM unnest($2::text[], $3::text[], $4::bigint[], $5::uuid[])
                      AS h(workspace_id, channel_id, lease_epoch, delivery_id)
                 WHERE l.workspace_id = h.workspace_id AND l.channel_id = h.channel_id
                   AND l.lease_owner = $1 AND l.lease_epoch = h.lease_epoch
                 RETURNING h.delivery_id)
             UPDATE deliveries d SET settle_time = now() + interval '{settle}'
             FROM renewed
             WHERE d.id = renewed.delivery_id AND d.settle_time IS NOT NULL
             RETURNING d.id",
            lease = interval_sql(terms.lease),
            settle = interval_sql(terms.lease + terms.settle_grace),
        ))
        .bind(owner)
        .bind(&workspaces)
        .bind(&channels)
        .bind(&epochs)
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(renewed)
    }

    /// Records how the attempt on `head` ended and hands its lane back, if this worker
    /// still holds the lane at the epoch it claimed. Concurrent calls share a transaction
    /// (`finish_batch.rs`).
    pub async fn finish(
        &self,
        owner: Uuid,
        head: &Claimed,
        outcome: &Outcome,
        attempt: Option<&AttemptRecord>,
        terms: LeaseTerms,
    ) -> Result<Finished, StoreError> {
        let pending = || PendingFinish::new(owner, head, outcome, attempt, terms.settle_grace);
        if let Some(Some(finished)) = self.finish_batches().submit(pending()).await {
            return Ok(finished);
        }
        let alone = [pending()];
        retrying("finish", || async {
            Ok(finish_once(&self.pool, &alone).await?.remove(0))
        })
        .await
    }
}
