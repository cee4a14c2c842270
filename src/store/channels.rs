//! Notification channels.

use super::{
    Store, StoreError,
    audit::{self, AuditAction},
    event_log, retrying,
};
use crate::domain::{ChannelId, ChannelState, EventPayload, Integration, IntegrationId};

impl Store {
    /// The access token of an integration, as stored (encrypted).
    pub async fn access_token_enc(&self, id: IntegrationId) -> Result<Option<Vec<u8>>, StoreError> {
        retrying("access_token_enc", || async move {
            Ok(
                sqlx::query_scalar("SELECT access_token_enc FROM integrations WHERE id = $1")
                    .bind(id.as_uuid())
                    .fetch_optional(&self.pool)
                    .await?,
            )
        })
        .await
    }

    /// Makes `channel` the integration's notification channel (state READY). `None` when
    /// the integration no longer exists.
    pub async fn set_notification_channel(
        &self,
        integration: &Integration,
        channel: &ChannelId,
        channel_name: &str,
    ) -> Result<Option<Integration>, StoreError> {
        retrying("set_notification_channel", || async move {
            let mut tx = self.pool.begin().await?;
            let stored = sqlx::query(
                "INSERT INTO notification_channels (integration_id, channel_id, channel_name)
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM integrations WHERE id = $1)
                 ON CONFLICT (integration_id) DO UPDATE SET channel_id = EXCLUDED.channel_id,
                     channel_name = EXCLUDED.channel_name, state = $4, set_time = now(),
                     update_time = now()",
            )
            .bind(integration.id.as_uuid())
            .bind(channel.as_str())
            .bind(channel_name)
            .bind(ChannelState::Ready)
            .execute(&mut *tx)
            .await?;
            if stored.rows_affected() == 0 {
                return Ok(None);
            }
            audit::record(
                &mut tx,
                integration.id,
                &integration.team_id,
                integration.workspace_id.as_str(),
                AuditAction::ChannelSet,
                serde_json::json!({ "channel_id": channel.as_str(), "channel_name": channel_name }),
            )
            .await?;
            let set = EventPayload::channel_set(channel.as_str(), channel_name);
            event_log::append_for(&mut tx, &integration.team_id, integration.id, set).await?;
            let updated = super::integrations::fetch_by_id(&mut tx, integration.id, false).await?;
            tx.commit().await?;
            Ok(updated)
        })
        .await
    }

    /// Clears the notification channel; clearing none is not an error.
    pub async fn clear_notification_channel(
        &self,
        integration: &Integration,
    ) -> Result<(), StoreError> {
        retrying("clear_notification_channel", || async move {
            let mut tx = self.pool.begin().await?;
            let cleared: Option<String> = sqlx::query_scalar(
                "DELETE FROM notification_channels WHERE integration_id = $1 RETURNING channel_id",
            )
            .bind(integration.id.as_uuid())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(channel_id) = cleared {
                let event = EventPayload::channel_cleared(channel_id);
                event_log::append_for(&mut tx, &integration.team_id, integration.id, event).await?;
                audit::record(
                    &mut tx,
                    integration.id,
                    &integration.team_id,
                    integration.workspace_id.as_str(),
                    AuditAction::ChannelCleared,
                    serde_json::json!({}),
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }
}
