//! The dispatcher's side of webhook subscriptions. A dispatcher claims a due subscription
//! with a lease (`FOR UPDATE SKIP LOCKED`, so replicas never claim the same one), and
//! every write after that is fenced by the lease epoch: a dispatcher whose lease ran out
//! (paused, partitioned) cannot move a cursor the new owner has moved on.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Store, StoreError, event_log, outbox::interval_sql, retrying};
use crate::domain::{EventCursor, EventPayload, TeamId, event::WebhookSubscriptionDisabled};

/// A subscription a dispatcher holds.
#[derive(Debug, Clone)]
pub struct ClaimedWebhook {
    pub id: Uuid,
    pub team_id: Option<TeamId>,
    pub url: String,
    pub event_types: Vec<String>,
    pub secret_ciphertext: Vec<u8>,
    pub cursor: EventCursor,
    /// Failed tries of the event after the cursor so far.
    pub attempts: i32,
    pub lease_epoch: i64,
}

type ClaimRow = (
    Uuid,
    Option<String>,
    String,
    Vec<String>,
    Vec<u8>,
    i64,
    i64,
    i32,
    i64,
);

/// How a failed try ends.
pub enum WebhookFailure {
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// The schedule is spent: disable the subscription and say so in the log.
    Disable,
}

impl Store {
    /// Claims up to `limit` due active subscriptions whose lease (if any) ran out.
    pub async fn claim_webhooks(
        &self,
        owner: Uuid,
        limit: i64,
        lease: Duration,
    ) -> Result<Vec<ClaimedWebhook>, StoreError> {
        retrying("claim_webhooks", || async move {
            let rows: Vec<ClaimRow> = sqlx::query_as(&format!(
                "UPDATE webhook_subscriptions w SET lease_owner = $1,
                     lease_until = now() + interval '{lease}', lease_epoch = lease_epoch + 1
                 FROM (SELECT id FROM webhook_subscriptions
                       WHERE state = 'active' AND next_attempt_time <= now()
                         AND (lease_until IS NULL OR lease_until < now())
                       ORDER BY next_attempt_time LIMIT $2
                       FOR UPDATE SKIP LOCKED) due
                 WHERE w.id = due.id
                 RETURNING w.id, w.team_id, w.url, w.event_types, w.secret_ciphertext,
                     w.delivered_tx_id::text::bigint, w.delivered_seq, w.attempts, w.lease_epoch",
                lease = interval_sql(lease),
            ))
            .bind(owner)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(
                    |(id, team, url, types, secret, tx_id, seq, attempts, epoch)| ClaimedWebhook {
                        id,
                        team_id: team.map(TeamId::from_trusted),
                        url,
                        event_types: types,
                        secret_ciphertext: secret,
                        cursor: EventCursor { tx_id, seq },
                        attempts,
                        lease_epoch: epoch,
                    },
                )
                .collect())
        })
        .await
    }

    /// Moves the cursor past a delivered event, clears the failures and renews the lease.
    /// `false` when the lease was lost (nothing written).
    pub async fn webhook_delivered(
        &self,
        held: &ClaimedWebhook,
        cursor: EventCursor,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        retrying("webhook_delivered", || async move {
            let done = sqlx::query(&format!(
                "UPDATE webhook_subscriptions SET delivered_tx_id = $3::text::xid8,
                     delivered_seq = $4, attempts = 0, last_error = NULL,
                     lease_until = now() + interval '{lease}'
                 WHERE id = $1 AND lease_epoch = $2",
                lease = interval_sql(lease),
            ))
            .bind(held.id)
            .bind(held.lease_epoch)
            .bind(cursor.tx_id.to_string())
            .bind(cursor.seq)
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() > 0)
        })
        .await
    }

    /// Hands a caught-up subscription back as idle (due at 'infinity') until the next
    /// wake-up: a dispatcher woken by a new event, or by its poll, wakes every idle one.
    pub async fn release_webhook(&self, held: &ClaimedWebhook) -> Result<(), StoreError> {
        retrying("release_webhook", || async move {
            sqlx::query(
                "UPDATE webhook_subscriptions SET lease_owner = NULL, lease_until = NULL,
                     next_attempt_time = 'infinity'
                 WHERE id = $1 AND lease_epoch = $2 AND attempts = 0",
            )
            .bind(held.id)
            .bind(held.lease_epoch)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }

    /// Records a failed try of the event after the cursor (which stays) and releases the
    /// lease. Disabling appends `webhook_subscription.disabled` in the same transaction.
    pub async fn webhook_failed(
        &self,
        held: &ClaimedWebhook,
        error: &str,
        failure: &WebhookFailure,
    ) -> Result<(), StoreError> {
        retrying("webhook_failed", || async move {
            let mut tx = self.pool.begin().await?;
            let (state, at) = match failure {
                WebhookFailure::RetryAt(at) => ("active", *at),
                WebhookFailure::Disable => ("disabled", Utc::now()),
            };
            let done = sqlx::query(
                "UPDATE webhook_subscriptions SET attempts = attempts + 1, last_error = $3,
                     next_attempt_time = $4, state = $5, lease_owner = NULL,
                     lease_until = NULL, update_time = now()
                 WHERE id = $1 AND lease_epoch = $2",
            )
            .bind(held.id)
            .bind(held.lease_epoch)
            .bind(error)
            .bind(at)
            .bind(state)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() > 0 && matches!(failure, WebhookFailure::Disable) {
                // A subscription for every team reports under the empty team id.
                let team = held
                    .team_id
                    .clone()
                    .unwrap_or(TeamId::from_trusted(String::new()));
                let payload =
                    EventPayload::WebhookSubscriptionDisabled(WebhookSubscriptionDisabled {
                        subscription_id: held.id.to_string(),
                        url: held.url.clone(),
                        last_error: error.to_owned(),
                    });
                let event = event_log::NewEvent {
                    team_id: team,
                    integration_id: None,
                    payload,
                };
                event_log::append(&mut tx, event).await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// When the next retry is due; `None` if no subscription waits for one.
    pub async fn next_webhook_retry(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        retrying("next_webhook_retry", || async move {
            let next: Option<DateTime<Utc>> = sqlx::query_scalar(
                "SELECT min(next_attempt_time) FROM webhook_subscriptions
                 WHERE state = 'active' AND next_attempt_time < 'infinity'",
            )
            .fetch_one(&self.pool)
            .await?;
            Ok(next)
        })
        .await
    }

    /// Makes every idle subscription due: there may be new events for it.
    pub async fn wake_idle_webhooks(&self) -> Result<(), StoreError> {
        retrying("wake_idle_webhooks", || async move {
            sqlx::query(
                "UPDATE webhook_subscriptions SET next_attempt_time = now()
                 WHERE state = 'active' AND next_attempt_time = 'infinity'",
            )
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }
}
