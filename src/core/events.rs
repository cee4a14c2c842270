//! What Slack's Events API tells us, applied to integrations and channels.

use chrono::{DateTime, Utc};

use super::{Core, CoreError};
use crate::{
    domain::ChannelState,
    slack::{EventEnvelope, SlackEvent},
    store::EntryChange,
};

/// How to answer Slack.
#[derive(Debug, PartialEq, Eq)]
pub enum EventAnswer {
    /// `url_verification`: echo the challenge.
    Challenge(String),
    /// Handled (or a retry of one handled before, or not ours to handle).
    Acknowledged,
}

impl Core {
    /// Handles a verified Events API request. Retries (same `event_id`) are acknowledged
    /// without being applied twice; a failure forgets the event so Slack's retry applies it.
    #[tracing::instrument(name = "core.handle_slack_event", skip_all)]
    pub async fn handle_slack_event(
        &self,
        envelope: EventEnvelope,
    ) -> Result<EventAnswer, CoreError> {
        let EventEnvelope::EventCallback {
            team_id,
            enterprise_id,
            event_id,
            event_time,
            event,
        } = envelope
        else {
            return Ok(match envelope {
                EventEnvelope::UrlVerification { challenge } => EventAnswer::Challenge(challenge),
                _ => EventAnswer::Acknowledged,
            });
        };
        let event = SlackEvent::parse(&event);
        let time = DateTime::<Utc>::from_timestamp(event_time, 0).unwrap_or_else(Utc::now);
        if !self
            .store
            .first_sighting(&event_id, &team_id, event.kind(), time)
            .await?
        {
            tracing::debug!(%event_id, "event already handled");
            return Ok(EventAnswer::Acknowledged);
        }
        crate::metrics::metrics()
            .slack_events
            .with_label_values(&[event.label()])
            .inc();
        // Org-wide installs are keyed on the enterprise, others on the workspace.
        let workspaces: Vec<&str> = std::iter::once(team_id.as_str())
            .chain(enterprise_id.as_deref())
            .filter(|w| !w.is_empty())
            .collect();
        let mut applied = Ok(0);
        for workspace in workspaces {
            applied = self.apply_event(workspace, &event, time).await;
            if applied.is_err() {
                break;
            }
        }
        match applied {
            Ok(changed) => {
                tracing::info!(%event_id, event = event.kind(), changed, "slack event handled");
                Ok(EventAnswer::Acknowledged)
            }
            Err(err) => {
                self.store.forget_event(&event_id).await?;
                Err(err)
            }
        }
    }

    async fn apply_event(
        &self,
        workspace: &str,
        event: &SlackEvent,
        time: DateTime<Utc>,
    ) -> Result<u64, CoreError> {
        let store = &self.store;
        // First the channel directory: applying a change there twice is harmless, should
        // what follows fail and Slack retry the event.
        if let Some((channel, change)) = directory_change(event) {
            store
                .change_directory_entry(workspace, channel, change)
                .await?;
        }
        Ok(match event {
            SlackEvent::AppUninstalled => {
                store
                    .revoke_workspace(workspace, None, "app_uninstalled", time)
                    .await?
            }
            SlackEvent::TokensRevoked { bot_users } if bot_users.is_empty() => 0,
            SlackEvent::TokensRevoked { bot_users } => {
                store
                    .revoke_workspace(workspace, Some(bot_users), "tokens_revoked", time)
                    .await?
            }
            SlackEvent::ChannelArchive { channel } => {
                store
                    .channel_event(workspace, channel, ChannelState::Archived, None, None)
                    .await?
            }
            SlackEvent::ChannelUnarchive { channel } => {
                store
                    .channel_event(
                        workspace,
                        channel,
                        ChannelState::Ready,
                        Some(ChannelState::Archived),
                        None,
                    )
                    .await?
            }
            SlackEvent::ChannelDeleted { channel } => {
                store
                    .channel_event(workspace, channel, ChannelState::Deleted, None, None)
                    .await?
            }
            SlackEvent::ChannelRename { channel, name } => {
                store.rename_channel(workspace, channel, name).await?
            }
            SlackEvent::MemberLeftChannel { user, channel } => {
                store
                    .channel_event(
                        workspace,
                        channel,
                        ChannelState::BotRemoved,
                        None,
                        Some(user),
                    )
                    .await?
            }
            SlackEvent::ChannelCreated { .. } | SlackEvent::Ignored { .. } => 0,
        })
    }
}

/// What a channel event does to the workspace's channel directory.
fn directory_change(event: &SlackEvent) -> Option<(&str, EntryChange<'_>)> {
    Some(match event {
        SlackEvent::ChannelCreated { channel, name }
        | SlackEvent::ChannelRename { channel, name } => (channel, EntryChange::Named(name)),
        SlackEvent::ChannelArchive { channel } => (channel, EntryChange::Archived(true)),
        SlackEvent::ChannelUnarchive { channel } => (channel, EntryChange::Archived(false)),
        SlackEvent::ChannelDeleted { channel } => (channel, EntryChange::Deleted),
        SlackEvent::MemberLeftChannel { user, channel } => (channel, EntryChange::Left { user }),
        SlackEvent::AppUninstalled
        | SlackEvent::TokensRevoked { .. }
        | SlackEvent::Ignored { .. } => return None,
    })
}
