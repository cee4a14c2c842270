//! Channel selection: listing a workspace's public channels and keeping the one
//! notification channel of each integration.

use chrono::Utc;
use secrecy::SecretString;

use super::{Core, CoreError, Resource, page_token::PageSize};
use crate::crypto::token_binding;
use crate::{
    domain::{
        Caller, ChannelId, Integration, IntegrationId, IntegrationStatus, NotificationChannel,
        SlackChannel,
    },
    slack::{ChannelProblem, SlackError, SlackFailure},
    store::EntryChange,
};

pub const CHANNEL_PAGE: PageSize = PageSize {
    default: 100,
    max: 1000,
};

pub struct ChannelQuery {
    pub page_size: i32,
    pub page_token: String,
    pub name_query: Option<String>,
    pub refresh: bool,
}

pub struct ChannelPage {
    pub channels: Vec<SlackChannel>,
    pub next_page_token: Option<String>,
    pub total_size: usize,
}

impl Core {
    /// The integration, if the caller may see it and it is ACTIVE.
    pub(super) async fn active_integration(
        &self,
        caller: &Caller,
        id: IntegrationId,
    ) -> Result<Integration, CoreError> {
        let integration = self.get_integration(caller, id).await?;
        match integration.status() {
            IntegrationStatus::Active => Ok(integration),
            status => Err(CoreError::IntegrationNotActive { status }),
        }
    }

    /// The integration's bot token, decrypted.
    pub(super) async fn access_token(
        &self,
        integration: &Integration,
    ) -> Result<SecretString, CoreError> {
        let sealed = self
            .store
            .access_token_enc(integration.id)
            .await?
            .ok_or_else(|| {
                CoreError::denied(
                    crate::domain::Denial::NotFound,
                    Resource::Integration,
                    integration.id,
                )
            })?;
        let binding = token_binding(
            integration.team_id.as_str(),
            integration.workspace_id.as_str(),
        );
        self.cipher
            .decrypt(&sealed, &binding)
            .map_err(|e| CoreError::Internal(Box::new(e)))
    }

    #[tracing::instrument(name = "core.list_channels", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        integration_id = %id,
    ))]
    pub async fn list_channels(
        &self,
        caller: &Caller,
        id: IntegrationId,
        query: ChannelQuery,
    ) -> Result<ChannelPage, CoreError> {
        let page_size = CHANNEL_PAGE
            .resolve(query.page_size)
            .map_err(CoreError::invalid)?;
        let name_query = query
            .name_query
            .map(|q| q.trim().to_lowercase())
            .filter(|q| !q.is_empty());
        let fingerprint = format!("integration={id};name={name_query:?}");
        let after: Option<(String, String)> = self
            .pages
            .position(&query.page_token, &fingerprint)
            .map_err(CoreError::invalid)?;
        let integration = self.active_integration(caller, id).await?;

        // Answered from the workspace's channel directory. Slack is listed here only when
        // the workspace has no complete listing yet (its first ListChannels, unless the
        // background refresher came first) or the caller asks for `refresh`: the listing
        // is stored for every later call and every replica, which never wait for Slack.
        let asked = Utc::now();
        let workspace_id = integration.workspace_id.as_str();
        let listed = self
            .store
            .channel_directory(workspace_id)
            .await?
            .is_some_and(|state| state.complete_time.is_some());
        if query.refresh || !listed {
            self.complete_directory(&integration, query.refresh.then_some(asked))
                .await?;
        }
        // No channel name holds NUL (nor can Postgres text).
        if name_query.as_deref().is_some_and(|q| q.contains('\0')) {
            return Ok(ChannelPage {
                channels: Vec::new(),
                next_page_token: None,
                total_size: 0,
            });
        }
        let after = after
            .as_ref()
            .map(|(name, id)| (name.as_str(), id.as_str()));
        let limit = i64::try_from(page_size + 1).unwrap_or(i64::MAX);
        let found = self
            .store
            .search_channel_directory(workspace_id, name_query.as_deref(), after, limit)
            .await?;
        let mut page = found.channels;
        let next_page_token = self
            .pages
            .next_page(&mut page, page_size, &fingerprint, |last| {
                (last.name.clone(), last.id.clone())
            });
        Ok(ChannelPage {
            channels: page,
            next_page_token,
            total_size: usize::try_from(found.total_size).unwrap_or_default(),
        })
    }

    #[tracing::instrument(name = "core.set_notification_channel", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        integration_id = %id,
        channel_id = %channel,
    ))]
    pub async fn set_notification_channel(
        &self,
        caller: &Caller,
        id: IntegrationId,
        channel: ChannelId,
    ) -> Result<NotificationChannel, CoreError> {
        let integration = self.active_integration(caller, id).await?;
        let token = self.access_token(&integration).await?;
        let channel_error = |err: SlackError| {
            let channel_id = channel.clone();
            match err.failure() {
                SlackFailure::Channel(ChannelProblem::NotFound) => {
                    CoreError::ChannelNotFound { channel_id }
                }
                SlackFailure::Channel(ChannelProblem::Archived) => {
                    CoreError::ChannelArchived { channel_id }
                }
                SlackFailure::Channel(ChannelProblem::NotPublic) => {
                    CoreError::ChannelNotPublic { channel_id }
                }
                _ => CoreError::from_slack(err),
            }
        };
        let info = self
            .slack
            .conversations_info(&token, channel.as_str())
            .await
            .map_err(channel_error)?;
        if info.is_archived {
            return Err(CoreError::ChannelArchived {
                channel_id: channel,
            });
        }
        if info.is_private {
            return Err(CoreError::ChannelNotPublic {
                channel_id: channel,
            });
        }
        if !info.is_member {
            self.slack
                .conversations_join(&token, channel.as_str())
                .await
                .map_err(channel_error)?;
            self.store
                .change_directory_entry(
                    integration.workspace_id.as_str(),
                    channel.as_str(),
                    EntryChange::BotJoined,
                )
                .await?;
        }
        let updated = self
            .store
            .set_notification_channel(&integration, &channel, &info.name)
            .await?
            .ok_or_else(|| {
                CoreError::denied(crate::domain::Denial::NotFound, Resource::Integration, id)
            })?;
        tracing::info!(integration_id = %id, channel_id = %channel, "notification channel set");
        updated
            .notification_channel
            .ok_or(CoreError::NotificationChannelNotSet)
    }

    #[tracing::instrument(name = "core.get_notification_channel", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        integration_id = %id,
    ))]
    pub async fn get_notification_channel(
        &self,
        caller: &Caller,
        id: IntegrationId,
    ) -> Result<NotificationChannel, CoreError> {
        self.get_integration(caller, id)
            .await?
            .notification_channel
            .ok_or(CoreError::NotificationChannelNotSet)
    }

    #[tracing::instrument(name = "core.clear_notification_channel", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        integration_id = %id,
    ))]
    pub async fn clear_notification_channel(
        &self,
        caller: &Caller,
        id: IntegrationId,
    ) -> Result<(), CoreError> {
        let integration = self.get_integration(caller, id).await?;
        self.store.clear_notification_channel(&integration).await?;
        Ok(())
    }
}
