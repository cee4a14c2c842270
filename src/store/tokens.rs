//! Token rotation: the integration row is locked while its single-use refresh token is
//! spent, so two replicas never refresh the same token.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};

use super::{Store, StoreError, event_hooks, retrying};
use crate::domain::{Condition, IntegrationId};

/// Encrypted tokens, as stored.
#[derive(Clone)]
pub struct TokenSet {
    pub access_token_enc: Vec<u8>,
    pub refresh_token_enc: Option<Vec<u8>>,
    pub token_expire_time: Option<DateTime<Utc>>,
}

/// An integration's tokens, locked (`FOR UPDATE`) until `save`, `mark` or drop.
pub struct LockedTokens {
    tx: Transaction<'static, Postgres>,
    id: IntegrationId,
    pub team_id: String,
    pub workspace_id: String,
    pub access_token_enc: Vec<u8>,
    pub refresh_token_enc: Option<Vec<u8>>,
    pub token_expire_time: Option<DateTime<Utc>>,
}

impl Store {
    /// Locks the integration's tokens; waits while another replica holds them.
    pub async fn lock_tokens(&self, id: IntegrationId) -> Result<Option<LockedTokens>, StoreError> {
        let mut tx = self.pool.begin().await?;
        type Row = (
            String,
            String,
            Vec<u8>,
            Option<Vec<u8>>,
            Option<DateTime<Utc>>,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT team_id, workspace_id, access_token_enc, refresh_token_enc, token_expire_time
             FROM integrations WHERE id = $1 FOR UPDATE",
        )
        .bind(id.as_uuid())
        .fetch_optional(&mut *tx)
        .await?;
        Ok(row.map(
            |(team_id, workspace_id, access_token_enc, refresh_token_enc, token_expire_time)| {
                LockedTokens {
                    tx,
                    id,
                    team_id,
                    workspace_id,
                    access_token_enc,
                    refresh_token_enc,
                    token_expire_time,
                }
            },
        ))
    }

    /// Rotating integrations whose token expires before `before` (and is not revoked).
    pub async fn tokens_expiring(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Vec<IntegrationId>, StoreError> {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT id FROM integrations
             WHERE refresh_token_enc IS NOT NULL AND token_expire_time < $1 AND condition <> $2
             ORDER BY token_expire_time LIMIT 500",
        )
        .bind(before)
        .bind(Condition::Revoked)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(IntegrationId::from_uuid).collect())
    }
}

/// Rotated tokens replace the old ones; the integration is healthy again.
async fn put_rotated(
    conn: &mut sqlx::PgConnection,
    id: IntegrationId,
    tokens: &TokenSet,
) -> Result<(), StoreError> {
    let status = event_hooks::status_before(&mut *conn, id).await?;
    sqlx::query(
        "UPDATE integrations SET access_token_enc = $2, refresh_token_enc = $3,
             token_expire_time = $4, condition = $5, status_reason = NULL, update_time = now()
         WHERE id = $1",
    )
    .bind(id.as_uuid())
    .bind(&tokens.access_token_enc)
    .bind(&tokens.refresh_token_enc)
    .bind(tokens.token_expire_time)
    .bind(Condition::Healthy)
    .execute(&mut *conn)
    .await?;
    event_hooks::status_changed(conn, id, status, "token_refreshed").await?;
    Ok(())
}

impl Store {
    /// Stores rotated tokens without the lock, retrying: for when saving them under the
    /// lock failed after Slack had already spent the old refresh token.
    pub async fn save_rotated_tokens(
        &self,
        id: IntegrationId,
        tokens: &TokenSet,
    ) -> Result<(), StoreError> {
        retrying("save_rotated_tokens", || async move {
            let mut conn = self.pool.acquire().await?;
            put_rotated(&mut conn, id, tokens).await
        })
        .await
    }
}

impl LockedTokens {
    /// Stores the rotated tokens; the integration is healthy again.
    pub async fn save(mut self, tokens: &TokenSet) -> Result<(), StoreError> {
        put_rotated(&mut self.tx, self.id, tokens).await?;
        self.tx.commit().await?;
        Ok(())
    }

    /// The refresh failed: ERROR (may recover) or REVOKED (refresh token dead).
    pub async fn mark(mut self, condition: Condition, reason: &str) -> Result<(), StoreError> {
        let status = event_hooks::status_before(&mut self.tx, self.id).await?;
        sqlx::query(
            "UPDATE integrations SET condition = $2, status_reason = $3, update_time = now() WHERE id = $1",
        )
        .bind(self.id.as_uuid())
        .bind(condition)
        .bind(reason)
        .execute(&mut *self.tx)
        .await?;
        event_hooks::status_changed(&mut self.tx, self.id, status, reason).await?;
        self.tx.commit().await?;
        Ok(())
    }
}
