//! Effects of Slack's Events API on integrations and notification channels.

use chrono::{DateTime, Utc};
use sqlx::{Encode, Postgres, Type};

use super::{
    Store, StoreError,
    audit::{self, AuditAction},
    event_hooks::{self, ConditionChange},
    retrying,
};
use crate::domain::{ChannelState, Condition, IntegrationId, TeamId};

/// The notification channels a Slack channel event is about: channel `channel_id` as each
/// integration of workspace `workspace_id` has it, only those in state `only_from` and only
/// the integration of bot user `bot_user` when given (`$1`, `$2`, `$4`, `$5` of
/// `WORKSPACE_CHANNELS`).
#[derive(Clone, Copy)]
struct WorkspaceChannels<'a> {
    workspace_id: &'a str,
    channel_id: &'a str,
    only_from: Option<ChannelState>,
    bot_user: Option<&'a str>,
}

/// `WorkspaceChannels` as the `old` of `event_hooks::update_channels`, locked.
const WORKSPACE_CHANNELS: &str = "SELECT nc.integration_id, nc.channel_name, nc.state
     FROM notification_channels nc JOIN integrations i ON nc.integration_id = i.id
     WHERE i.workspace_id = $1 AND nc.channel_id = $2
       AND ($4::text IS NULL OR nc.state = $4)
       AND ($5::text IS NULL OR i.bot_user_id = $5)
     FOR UPDATE OF nc";

impl Store {
    /// Remembers an event id; `false` when it was seen before (a retry). Slack retries for
    /// minutes; the retention sweep forgets ids after the delivery retention.
    pub async fn first_sighting(
        &self,
        event_id: &str,
        workspace_id: &str,
        event_type: &str,
        event_time: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        retrying("first_sighting", || async move {
            let inserted = sqlx::query(
                "INSERT INTO slack_events (event_id, workspace_id, event_type, event_time)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING",
            )
            .bind(event_id)
            .bind(workspace_id)
            .bind(event_type)
            .bind(event_time)
            .execute(&self.pool)
            .await?;
            Ok(inserted.rows_affected() == 1)
        })
        .await
    }

    /// Forgets an event whose handling failed, so Slack's retry is handled.
    pub async fn forget_event(&self, event_id: &str) -> Result<(), StoreError> {
        retrying("forget_event", || async move {
            sqlx::query("DELETE FROM slack_events WHERE event_id = $1")
                .bind(event_id)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
        .await
    }

    /// Marks the workspace's integrations REVOKED (only those whose bot user is in
    /// `bot_users`, when given), except those connected after the event happened: a
    /// re-install must survive a late revocation. Slack's `event_time` has whole seconds,
    /// so the connect time is compared at that resolution (an uninstall in the second of
    /// the install still counts). Returns how many changed.
    pub async fn revoke_workspace(
        &self,
        workspace_id: &str,
        bot_users: Option<&[String]>,
        reason: &str,
        event_time: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        retrying("revoke_workspace", || async move {
            let mut tx = self.pool.begin().await?;
            let revoked: Vec<ConditionChange> = sqlx::query_as(
                "WITH old AS (SELECT id, enabled, condition FROM integrations
                     WHERE workspace_id = $1 AND date_trunc('second', connect_time) <= $3
                       AND condition <> $5
                       AND ($4::text[] IS NULL OR bot_user_id = ANY($4))
                     FOR UPDATE)
                 UPDATE integrations i SET condition = $5, status_reason = $2, update_time = now()
                 FROM old WHERE i.id = old.id
                 RETURNING i.id, i.team_id, old.enabled, old.condition",
            )
            .bind(workspace_id)
            .bind(reason)
            .bind(event_time)
            .bind(bot_users)
            .bind(Condition::Revoked)
            .fetch_all(&mut *tx)
            .await?;
            event_hooks::condition_changes(&mut tx, &revoked, reason).await?;
            for (id, team, ..) in &revoked {
                audit::record(
                    &mut tx,
                    IntegrationId::from_uuid(*id),
                    &TeamId::from_trusted(team.clone()),
                    workspace_id,
                    AuditAction::StatusChanged,
                    serde_json::json!({ "condition": "revoked", "reason": reason }),
                )
                .await?;
            }
            tx.commit().await?;
            Ok(revoked.len() as u64)
        })
        .await
    }

    /// Sets the state of every notification channel `channel_id` of the workspace;
    /// `only_from` limits it to channels currently in that state.
    pub async fn channel_event(
        &self,
        workspace_id: &str,
        channel_id: &str,
        state: ChannelState,
        only_from: Option<ChannelState>,
        bot_user: Option<&str>,
    ) -> Result<u64, StoreError> {
        let channels = WorkspaceChannels {
            workspace_id,
            channel_id,
            only_from,
            bot_user,
        };
        self.change_channels("channel_event", channels, "state = $3", state)
            .await
    }

    pub async fn rename_channel(
        &self,
        workspace_id: &str,
        channel_id: &str,
        name: &str,
    ) -> Result<u64, StoreError> {
        let channels = WorkspaceChannels {
            workspace_id,
            channel_id,
            only_from: None,
            bot_user: None,
        };
        self.change_channels("rename_channel", channels, "channel_name = $3", name)
            .await
    }

    /// Applies `set`, with `value` as `$3`, to `channels` and reports what changed (as the
    /// store operation `what`). Returns how many channels matched.
    async fn change_channels<V>(
        &self,
        what: &'static str,
        channels: WorkspaceChannels<'_>,
        set: &str,
        value: V,
    ) -> Result<u64, StoreError>
    where
        V: for<'q> Encode<'q, Postgres> + Type<Postgres> + Copy + Send,
    {
        retrying(what, || async move {
            let mut tx = self.pool.begin().await?;
            let sql = event_hooks::update_channels(WORKSPACE_CHANNELS, set);
            let update = sqlx::query_as(&sql)
                .bind(channels.workspace_id)
                .bind(channels.channel_id)
                .bind(value)
                .bind(channels.only_from)
                .bind(channels.bot_user);
            let touched = event_hooks::channel_changes(&mut tx, update).await?;
            tx.commit().await?;
            Ok(touched as u64)
        })
        .await
    }
}
