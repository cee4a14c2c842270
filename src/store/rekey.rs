//! Every sealed value at rest, read in keyset batches and re-sealed by compare-and-swap,
//! for `switchboard rotate-keys`. No lock is held between reading and writing: a value the
//! running service changed meanwhile (a token refresh) is left as the service wrote it.

use uuid::Uuid;

use super::{Store, StoreError};
use crate::{crypto::token_binding, domain::webhook::secret_binding};

/// Where sealed values live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedKind {
    /// `integrations`: access and refresh token.
    Integration,
    /// `reconnect_tokens`: the fresh tokens of a duplicate install, held for a while.
    Reconnect,
    /// `webhook_subscriptions`: the signing secret.
    WebhookSecret,
}

impl SealedKind {
    pub const ALL: [SealedKind; 3] = [Self::Integration, Self::Reconnect, Self::WebhookSecret];

    pub fn name(self) -> &'static str {
        match self {
            Self::Integration => "integration",
            Self::Reconnect => "reconnect token",
            Self::WebhookSecret => "webhook subscription",
        }
    }

    /// The SELECT of a batch after `$1` (NULL: from the start), and the UPDATE of one row
    /// whose values are still `$4`, `$5`.
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            Self::Integration => (
                "SELECT id::text, team_id, workspace_id, access_token_enc, refresh_token_enc
                 FROM integrations WHERE $1::uuid IS NULL OR id > $1::uuid ORDER BY id LIMIT $2",
                "UPDATE integrations SET access_token_enc = $2, refresh_token_enc = $3
                 WHERE id = $1::uuid AND access_token_enc = $4
                   AND refresh_token_enc IS NOT DISTINCT FROM $5",
            ),
            Self::Reconnect => (
                "SELECT encode(r.token_hash, 'hex'), i.team_id, r.installation->>'workspace_id',
                        r.access_token_enc, r.refresh_token_enc
                 FROM reconnect_tokens r JOIN integrations i ON i.id = r.integration_id
                 WHERE $1::text IS NULL OR r.token_hash > decode($1, 'hex')
                 ORDER BY r.token_hash LIMIT $2",
                "UPDATE reconnect_tokens SET access_token_enc = $2, refresh_token_enc = $3
                 WHERE token_hash = decode($1, 'hex') AND access_token_enc = $4
                   AND refresh_token_enc IS NOT DISTINCT FROM $5",
            ),
            Self::WebhookSecret => (
                "SELECT id::text, '', '', secret_ciphertext, NULL::bytea
                 FROM webhook_subscriptions WHERE $1::uuid IS NULL OR id > $1::uuid
                 ORDER BY id LIMIT $2",
                "UPDATE webhook_subscriptions SET secret_ciphertext = $2
                 WHERE id = $1::uuid AND secret_ciphertext = $4 AND $3::bytea IS NULL
                   AND $5::bytea IS NULL",
            ),
        }
    }
}

/// One row's sealed values as read.
#[derive(Debug, Clone)]
pub struct SealedRow {
    pub kind: SealedKind,
    /// The row's key as text (an id, or a reconnect token's hash in hex): it names the row
    /// without revealing anything secret.
    pub key: String,
    /// What its values are bound to.
    pub binding: String,
    pub first: Vec<u8>,
    pub second: Option<Vec<u8>>,
}

/// A row's values re-sealed.
pub struct Resealed<'a> {
    pub row: &'a SealedRow,
    pub first: Vec<u8>,
    pub second: Option<Vec<u8>>,
}

impl Store {
    /// Up to `limit` rows of `kind` after `after` (a `SealedRow::key`), in key order.
    pub async fn sealed_batch(
        &self,
        kind: SealedKind,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<SealedRow>, StoreError> {
        type Row = (String, String, Option<String>, Vec<u8>, Option<Vec<u8>>);
        let rows: Vec<Row> = sqlx::query_as(kind.sql().0)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(key, team, workspace, first, second)| SealedRow {
                kind,
                binding: match kind {
                    SealedKind::WebhookSecret => Uuid::parse_str(&key)
                        .map(secret_binding)
                        .unwrap_or_default(),
                    _ => token_binding(&team, workspace.as_deref().unwrap_or_default()),
                },
                key,
                first,
                second,
            })
            .collect())
    }

    /// Writes each re-sealed row whose values are still as read, in one transaction;
    /// how many were written (the others changed meanwhile).
    pub async fn reseal(&self, batch: &[Resealed<'_>]) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut written = 0;
        for resealed in batch {
            let row = resealed.row;
            let done = sqlx::query(row.kind.sql().1)
                .bind(&row.key)
                .bind(&resealed.first)
                .bind(&resealed.second)
                .bind(&row.first)
                .bind(&row.second)
                .execute(&mut *tx)
                .await?;
            written += done.rows_affected() as usize;
        }
        tx.commit().await?;
        Ok(written)
    }
}
