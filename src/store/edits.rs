//! Updates and deletes of posted messages, queued in their post's lane. A message is
//! deleted once: a second delete answers the first instead of meeting `message_not_found`.

use super::{
    Store, StoreError,
    deliveries::{NewDelivery, fetch, finish_enqueue, hold_message, insert},
    requests::{self, Idempotent, RequestKey, Seen},
    retrying,
};
use crate::domain::{Delivery, DeliveryId, DeliveryKind, DeliveryState};

/// The states of an earlier delete that a second one answers with: it is going out, or out.
const DELETE_UNDER_WAY: [DeliveryState; 3] = [
    DeliveryState::Queued,
    DeliveryState::Retrying,
    DeliveryState::Sent,
];

impl Store {
    /// Queues an update or delete, under `request` when the caller gave a request id.
    /// `None` when the message it changes (or the first call's answer) is gone: removed
    /// by retention since the caller looked it up.
    pub async fn enqueue_edit(
        &self,
        new: &NewDelivery,
        request: Option<&RequestKey>,
    ) -> Result<Option<Idempotent<Delivery>>, StoreError> {
        retrying("enqueue_edit", || async move {
            let mut tx = self.pool.begin().await?;
            if let Some(key) = request {
                match requests::take(&mut tx, key).await? {
                    Seen::New => {}
                    Seen::Reused => return Ok(Some(Idempotent::Reused)),
                    Seen::Repeat(None) => {
                        return Err(StoreError::Internal(sqlx::Error::RowNotFound));
                    }
                    Seen::Repeat(Some(id)) => {
                        let first = fetch(&mut tx, DeliveryId::from_uuid(id)).await?;
                        return Ok(first.map(Idempotent::Repeat));
                    }
                }
            }
            let earlier_delete = match (new.kind, new.target_delivery_id) {
                (DeliveryKind::Delete, Some(target)) => {
                    // Two deletes of one message at once: the second waits for the first.
                    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))")
                        .bind(target)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query_scalar(
                        "SELECT id FROM deliveries
                         WHERE target_delivery_id = $1 AND kind = $2 AND state = ANY($3)
                         ORDER BY seq LIMIT 1",
                    )
                    .bind(target)
                    .bind(DeliveryKind::Delete)
                    .bind(&DELETE_UNDER_WAY[..])
                    .fetch_optional(&mut *tx)
                    .await?
                }
                _ => None,
            };
            let delivery = match earlier_delete {
                Some(id) => fetch(&mut tx, id).await?,
                None if !hold_message(&mut tx, new).await? => return Ok(None),
                None => {
                    let id = insert(&mut tx, new)
                        .await?
                        .ok_or(StoreError::Internal(sqlx::Error::RowNotFound))?;
                    Some(finish_enqueue(&mut tx, id, &new.workspace_id, &new.channel_id).await?)
                }
            }
            .ok_or(StoreError::Internal(sqlx::Error::RowNotFound))?;
            if let Some(key) = request {
                requests::answer(&mut tx, key, delivery.id.as_uuid()).await?;
            }
            tx.commit().await?;
            Ok(Some(Idempotent::Done(delivery)))
        })
        .await
    }
}
