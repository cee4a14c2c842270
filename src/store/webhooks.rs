//! Webhook subscriptions as a resource: create, read, list, change, delete. What the
//! dispatcher does with them (claims, cursor, failures) is in `webhook_outbox.rs`.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::{Store, StoreError, push_page, retrying};
use crate::domain::{EventCursor, TeamId, WebhookState, WebhookSubscription};

pub struct NewWebhook {
    pub id: Uuid,
    pub team_id: Option<TeamId>,
    pub url: String,
    pub event_types: Vec<String>,
    pub secret_ciphertext: Vec<u8>,
}

/// Fields an update may change; `None` leaves one as it is.
#[derive(Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub state: Option<WebhookState>,
}

pub(super) const COLUMNS: &str = "id, team_id, url, event_types, state, last_error,
     delivered_tx_id::text::bigint, delivered_seq, create_time, update_time";

pub(super) type WebhookRow = (
    Uuid,
    Option<String>,
    String,
    Vec<String>,
    String,
    Option<String>,
    i64,
    i64,
    DateTime<Utc>,
    DateTime<Utc>,
);

pub(super) fn from_row(row: WebhookRow) -> WebhookSubscription {
    let (id, team, url, event_types, state, last_error, tx_id, seq, create_time, update_time) = row;
    WebhookSubscription {
        id,
        team_id: team.map(TeamId::from_trusted),
        url,
        event_types,
        state: WebhookState::from_db(&state),
        last_error,
        delivered_cursor: EventCursor { tx_id, seq },
        create_time,
        update_time,
    }
}

impl Store {
    /// Creates the subscription at the log's end: it receives every event committed after
    /// it, and possibly a few committed just before (those of transactions that were still
    /// open beside it), never fewer.
    pub async fn create_webhook(
        &self,
        new: &NewWebhook,
    ) -> Result<WebhookSubscription, StoreError> {
        retrying("create_webhook", || async move {
            let row: WebhookRow = sqlx::query_as(&format!(
                "INSERT INTO webhook_subscriptions
                     (id, team_id, url, event_types, secret_ciphertext, delivered_tx_id,
                      delivered_seq)
                 VALUES ($1, $2, $3, $4, $5,
                     GREATEST(pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1, 0)
                         ::text::xid8,
                     9223372036854775807)
                 RETURNING {COLUMNS}"
            ))
            .bind(new.id)
            .bind(new.team_id.as_ref().map(TeamId::as_str))
            .bind(&new.url)
            .bind(&new.event_types)
            .bind(&new.secret_ciphertext)
            .fetch_one(&self.pool)
            .await?;
            Ok(from_row(row))
        })
        .await
    }

    pub async fn get_webhook(&self, id: Uuid) -> Result<Option<WebhookSubscription>, StoreError> {
        retrying("get_webhook", || async move {
            let row: Option<WebhookRow> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM webhook_subscriptions WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(from_row))
        })
        .await
    }

    /// One team's subscriptions, or every one (`None`), in (create_time, id) order.
    pub async fn list_webhooks(
        &self,
        team: Option<&TeamId>,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> Result<Vec<WebhookSubscription>, StoreError> {
        retrying("list_webhooks", || async move {
            let mut query = QueryBuilder::new(format!(
                "SELECT {COLUMNS} FROM webhook_subscriptions WHERE true"
            ));
            if let Some(team) = team {
                query
                    .push(" AND team_id = ")
                    .push_bind(team.as_str().to_owned());
            }
            push_page(&mut query, after, limit);
            let rows: Vec<WebhookRow> = query.build_query_as().fetch_all(&self.pool).await?;
            Ok(rows.into_iter().map(from_row).collect())
        })
        .await
    }

    /// Applies `changes`; `None` when there is no such subscription. Setting a disabled
    /// subscription active resets its failures and makes it due at once: it resumes from
    /// its cursor, the event that failed first.
    pub async fn update_webhook(
        &self,
        id: Uuid,
        changes: &WebhookChanges,
    ) -> Result<Option<WebhookSubscription>, StoreError> {
        retrying("update_webhook", || async move {
            let row: Option<WebhookRow> = sqlx::query_as(&format!(
                "UPDATE webhook_subscriptions SET
                     url = COALESCE($2, url),
                     event_types = COALESCE($3, event_types),
                     attempts = CASE WHEN $4 = 'active' AND state = 'disabled' THEN 0
                                     ELSE attempts END,
                     next_attempt_time = CASE WHEN $4 = 'active' AND state = 'disabled'
                                     THEN now() ELSE next_attempt_time END,
                     state = COALESCE($4, state),
                     update_time = now()
                 WHERE id = $1
                 RETURNING {COLUMNS}"
            ))
            .bind(id)
            .bind(&changes.url)
            .bind(&changes.event_types)
            .bind(changes.state.map(WebhookState::as_str))
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(from_row))
        })
        .await
    }

    /// Whether there was such a subscription.
    pub async fn delete_webhook(&self, id: Uuid) -> Result<bool, StoreError> {
        retrying("delete_webhook", || async move {
            let done = sqlx::query("DELETE FROM webhook_subscriptions WHERE id = $1")
                .bind(id)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
        .await
    }

    /// Replaces the encrypted secret; `None` when there is no such subscription.
    pub async fn set_webhook_secret(
        &self,
        id: Uuid,
        secret_ciphertext: &[u8],
    ) -> Result<Option<WebhookSubscription>, StoreError> {
        retrying("set_webhook_secret", || async move {
            let row: Option<WebhookRow> = sqlx::query_as(&format!(
                "UPDATE webhook_subscriptions SET secret_ciphertext = $2, update_time = now()
                 WHERE id = $1 RETURNING {COLUMNS}"
            ))
            .bind(id)
            .bind(secret_ciphertext)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(from_row))
        })
        .await
    }
}
