//! OAuth states and reconnect tokens: both stored as SHA-256 hashes, single use, short-lived.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Store, StoreError, retrying, tokens::TokenSet};
use crate::domain::{Installation, IntegrationId, TeamId};

pub struct NewOAuthState {
    pub state_hash: Vec<u8>,
    pub team_id: TeamId,
    pub reconnect_integration_id: Option<IntegrationId>,
    pub redirect_uri: String,
    pub expire_time: DateTime<Utc>,
}

/// A state held by one CompleteSlackOAuth call.
#[derive(Debug)]
pub struct ClaimedState {
    pub team_id: TeamId,
    pub reconnect_integration_id: Option<IntegrationId>,
}

/// Where a duplicate install's fresh tokens will be held.
pub struct NewReconnect {
    pub token_hash: Vec<u8>,
    pub expire_time: DateTime<Utc>,
}

pub(super) struct TakenReconnect {
    pub installation: Installation,
    pub tokens: TokenSet,
}

/// How long spent states and reconnect tokens are kept before being purged.
const PURGE_AFTER: &str = "1 hour";

impl Store {
    pub async fn insert_oauth_state(&self, state: &NewOAuthState) -> Result<(), StoreError> {
        retrying("insert_oauth_state", || async move {
            let mut tx = self.pool.begin().await?;
            sqlx::query(
                "INSERT INTO oauth_states
                     (state_hash, team_id, reconnect_integration_id, redirect_uri, expire_time)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&state.state_hash)
            .bind(state.team_id.as_str())
            .bind(state.reconnect_integration_id.map(|id| id.as_uuid()))
            .bind(&state.redirect_uri)
            .bind(state.expire_time)
            .execute(&mut *tx)
            .await?;
            // Housekeeping rides along with the write that creates the garbage.
            for table in ["oauth_states", "reconnect_tokens"] {
                sqlx::query(&format!(
                    "DELETE FROM {table} WHERE expire_time < now() - interval '{PURGE_AFTER}'"
                ))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Takes an unexpired, unclaimed state for this call. A team caller can only take its
    /// own team's states; another team's state stays untouched for its owner.
    pub async fn claim_oauth_state(
        &self,
        state_hash: &[u8],
        team: Option<&TeamId>,
    ) -> Result<Option<ClaimedState>, StoreError> {
        retrying("claim_oauth_state", || async move {
            let row: Option<(String, Option<Uuid>)> = sqlx::query_as(
                "UPDATE oauth_states SET claim_time = now()
                 WHERE state_hash = $1 AND claim_time IS NULL AND expire_time > now()
                   AND ($2::text IS NULL OR team_id = $2)
                 RETURNING team_id, reconnect_integration_id",
            )
            .bind(state_hash)
            .bind(team.map(TeamId::as_str))
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(|(team_id, reconnect)| ClaimedState {
                team_id: TeamId::from_trusted(team_id),
                reconnect_integration_id: reconnect.map(IntegrationId::from_uuid),
            }))
        })
        .await
    }

    /// Gives a claimed state back (Slack could not be reached, so the user may try again).
    pub async fn release_oauth_state(&self, state_hash: &[u8]) -> Result<(), StoreError> {
        retrying("release_oauth_state", || async move {
            sqlx::query("UPDATE oauth_states SET claim_time = NULL WHERE state_hash = $1")
                .bind(state_hash)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
        .await
    }

    /// Spends a claimed state for good.
    pub async fn delete_oauth_state(&self, state_hash: &[u8]) -> Result<(), StoreError> {
        retrying("delete_oauth_state", || async move {
            sqlx::query("DELETE FROM oauth_states WHERE state_hash = $1")
                .bind(state_hash)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
        .await
    }
}

/// A reconnect token that expired unused, taken out of the store: its tokens are sealed
/// for (`team_id`, `workspace_id`).
pub struct ExpiredReconnect {
    pub team_id: String,
    pub workspace_id: String,
    pub access_token_enc: Vec<u8>,
}

impl Store {
    /// Takes out up to `limit` reconnect tokens that expired unused (each by one replica).
    pub async fn take_expired_reconnects(
        &self,
        limit: i64,
    ) -> Result<Vec<ExpiredReconnect>, StoreError> {
        retrying("take_expired_reconnects", || async move {
            let rows: Vec<(String, Option<String>, Vec<u8>)> = sqlx::query_as(
                "DELETE FROM reconnect_tokens r USING integrations i
                 WHERE r.integration_id = i.id AND r.token_hash IN (
                     SELECT token_hash FROM reconnect_tokens WHERE expire_time < now()
                     ORDER BY expire_time LIMIT $1 FOR UPDATE SKIP LOCKED)
                 RETURNING i.team_id, r.installation->>'workspace_id', r.access_token_enc",
            )
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(
                    |(team_id, workspace_id, access_token_enc)| ExpiredReconnect {
                        team_id,
                        workspace_id: workspace_id.unwrap_or_default(),
                        access_token_enc,
                    },
                )
                .collect())
        })
        .await
    }

    /// The sealed access token of every integration of the workspace, with its team.
    pub async fn workspace_tokens(
        &self,
        workspace_id: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        retrying("workspace_tokens", || async move {
            Ok(sqlx::query_as(
                "SELECT team_id, access_token_enc FROM integrations WHERE workspace_id = $1",
            )
            .bind(workspace_id)
            .fetch_all(&self.pool)
            .await?)
        })
        .await
    }
}

pub(super) async fn insert_reconnect(
    conn: &mut PgConnection,
    integration_id: IntegrationId,
    installation: &Installation,
    tokens: &TokenSet,
    reconnect: &NewReconnect,
) -> Result<(), StoreError> {
    let installation = serde_json::to_value(installation)
        .map_err(|e| StoreError::Internal(sqlx::Error::Encode(e.into())))?;
    sqlx::query(
        "INSERT INTO reconnect_tokens (token_hash, integration_id, installation,
             access_token_enc, refresh_token_enc, token_expire_time, expire_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&reconnect.token_hash)
    .bind(integration_id.as_uuid())
    .bind(installation)
    .bind(&tokens.access_token_enc)
    .bind(&tokens.refresh_token_enc)
    .bind(tokens.token_expire_time)
    .bind(reconnect.expire_time)
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn take_reconnect(
    conn: &mut PgConnection,
    integration_id: IntegrationId,
    token_hash: &[u8],
) -> Result<Option<TakenReconnect>, StoreError> {
    type Row = (
        serde_json::Value,
        Vec<u8>,
        Option<Vec<u8>>,
        Option<DateTime<Utc>>,
    );
    let row: Option<Row> = sqlx::query_as(
        "DELETE FROM reconnect_tokens
         WHERE token_hash = $1 AND integration_id = $2 AND expire_time > now()
         RETURNING installation, access_token_enc, refresh_token_enc, token_expire_time",
    )
    .bind(token_hash)
    .bind(integration_id.as_uuid())
    .fetch_optional(conn)
    .await?;
    let Some((installation, access_token_enc, refresh_token_enc, token_expire_time)) = row else {
        return Ok(None);
    };
    let installation = serde_json::from_value(installation)
        .map_err(|e| StoreError::Internal(sqlx::Error::Decode(e.into())))?;
    Ok(Some(TakenReconnect {
        installation,
        tokens: TokenSet {
            access_token_enc,
            refresh_token_enc,
            token_expire_time,
        },
    }))
}
