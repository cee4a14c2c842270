//! Reconnect tokens that expire unused. The fresh tokens they held are live at Slack and
//! nobody will apply them now: they are revoked (best effort), a few at a time.

use std::time::Duration;

use super::{Core, CoreError};
use crate::crypto::token_binding;

/// Reconnect tokens taken per round of the sweep.
const SWEEP_BATCH: i64 = 100;

impl Core {
    /// Takes out expired reconnect tokens and revokes what they held; how many it took.
    #[tracing::instrument(name = "core.revoke_expired_reconnects", skip_all)]
    pub async fn revoke_expired_reconnects(&self) -> Result<usize, CoreError> {
        let expired = self.store.take_expired_reconnects(SWEEP_BATCH).await?;
        for held in &expired {
            let binding = token_binding(&held.team_id, &held.workspace_id);
            match self.cipher.decrypt(&held.access_token_enc, &binding) {
                Ok(token) => self.revoke_unkept(&held.workspace_id, &token).await,
                Err(err) => {
                    tracing::error!(error = %err, "cannot revoke an expired reconnect token's token")
                }
            }
        }
        if !expired.is_empty() {
            tracing::info!(count = expired.len(), "expired reconnect tokens revoked");
        }
        Ok(expired.len())
    }
}

/// Every `every`, until `stop`, revokes what expired reconnect tokens held. Each token is
/// taken out by one replica (the delete decides), so every replica may run this.
pub async fn run_reconnect_sweep(
    core: Core,
    every: Duration,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    super::periodically(every, stop, || async {
        loop {
            match core.revoke_expired_reconnects().await {
                Ok(taken) if taken as i64 == SWEEP_BATCH => {}
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(error = %err, "reconnect token sweep failed");
                    break;
                }
            }
        }
    })
    .await;
}
