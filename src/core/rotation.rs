//! Token rotation: Slack's rotating tokens live 12 hours and their refresh tokens are
//! single use. Refreshes happen 2 hours ahead (a sweep) and on demand when a call meets
//! `token_expired`, one replica at a time per integration (a row lock).

use std::time::Duration;

use chrono::Utc;

use super::CoreError;
use crate::{
    crypto::{TokenCipher, token_binding},
    domain::{Condition, IntegrationId, Refreshed},
    slack::{SlackFailure, SlackOAuth},
    store::{Store, TokenSet},
};

/// Refresh this long before expiry, as Slack's SDKs do.
pub const REFRESH_AHEAD: Duration = Duration::from_secs(2 * 3600);

#[derive(Clone)]
pub struct TokenRefresher {
    store: Store,
    oauth: SlackOAuth,
    cipher: TokenCipher,
}

impl TokenRefresher {
    pub fn new(store: Store, oauth: SlackOAuth, cipher: TokenCipher) -> Self {
        Self {
            store,
            oauth,
            cipher,
        }
    }

    /// Refreshes the integration's tokens when due. `stale_access_enc` is the token a call
    /// just saw expire: then it is due unless another replica already replaced it.
    #[tracing::instrument(name = "core.refresh_tokens", skip_all, fields(integration_id = %id))]
    pub async fn refresh(
        &self,
        id: IntegrationId,
        stale_access_enc: Option<&[u8]>,
    ) -> Result<Refreshed, CoreError> {
        let Some(locked) = self.store.lock_tokens(id).await? else {
            return Ok(Refreshed::NotRotating);
        };
        let Some(sealed_refresh) = locked.refresh_token_enc.clone() else {
            return Ok(Refreshed::NotRotating);
        };
        let due = match stale_access_enc {
            Some(stale) => locked.access_token_enc.as_slice() == stale,
            None => locked.token_expire_time.is_none_or(|at| {
                at < Utc::now() + chrono::Duration::from_std(REFRESH_AHEAD).unwrap_or_default()
            }),
        };
        if !due {
            return Ok(Refreshed::AlreadyFresh);
        }
        let binding = token_binding(&locked.team_id, &locked.workspace_id);
        let refresh_token = self
            .cipher
            .decrypt(&sealed_refresh, &binding)
            .map_err(|e| CoreError::Internal(Box::new(e)))?;
        let counter = |result: &str| {
            crate::metrics::metrics()
                .token_refreshes
                .with_label_values(&[result])
                .inc()
        };
        match self.oauth.refresh(&refresh_token).await {
            Ok(fresh) => {
                // Anything the answer left out keeps its old value.
                let tokens = TokenSet {
                    access_token_enc: self.cipher.encrypt(&fresh.access_token, &binding),
                    refresh_token_enc: fresh
                        .refresh_token
                        .as_ref()
                        .map(|t| self.cipher.encrypt(t, &binding))
                        .or_else(|| locked.refresh_token_enc.clone()),
                    token_expire_time: fresh
                        .expires_in
                        .and_then(|d| chrono::Duration::from_std(d).ok())
                        .map(|d| Utc::now() + d)
                        .or(locked.token_expire_time),
                };
                if let Err(err) = locked.save(&tokens).await {
                    // Slack spent the old refresh token: these are the only live ones.
                    tracing::warn!(integration_id = %id, error = %err, "saving refreshed tokens again");
                    self.store.save_rotated_tokens(id, &tokens).await?;
                }
                counter("rotated");
                tracing::info!(integration_id = %id, "token refreshed");
                Ok(Refreshed::Rotated)
            }
            Err(err) if err.failure() == SlackFailure::InvalidRefreshToken => {
                locked.mark(Condition::Revoked, &err.label()).await?;
                counter("revoked");
                tracing::warn!(integration_id = %id, "refresh token refused: integration revoked");
                Ok(Refreshed::Revoked)
            }
            Err(err) => {
                let label = err.label();
                locked
                    .mark(Condition::Error, &format!("token_refresh_failed: {label}"))
                    .await?;
                counter("failed");
                tracing::warn!(integration_id = %id, error = %err, "token refresh failed");
                Ok(Refreshed::Failed(label))
            }
        }
    }

    /// Refreshes every token due within [`REFRESH_AHEAD`], every `every`, until `stop`.
    pub async fn run(self, every: Duration, stop: tokio::sync::watch::Receiver<bool>) {
        super::periodically(every, stop, || self.refresh_due()).await;
    }

    async fn refresh_due(&self) {
        let horizon = Utc::now() + chrono::Duration::from_std(REFRESH_AHEAD).unwrap_or_default();
        let due = match self.store.tokens_expiring(horizon).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(error = %err, "token refresh sweep skipped");
                return;
            }
        };
        for id in due {
            if let Err(err) = self.refresh(id, None).await {
                tracing::warn!(integration_id = %id, error = %err, "token refresh sweep failed");
            }
        }
    }
}
