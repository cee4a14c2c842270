//! Channel selection: listing a workspace's public channels and keeping the one
//! notification channel of each integration.

use std::time::Duration;

use chrono::Utc;
use secrecy::SecretString;

use super::{Core, CoreError, Resource, page_token::PageSize};
use crate::crypto::token_binding;
use crate::{
    domain::{
        Caller, ChannelId, Integration, IntegrationId, IntegrationStatus, NotificationChannel,
        SlackChannel,
    },
    slack::{ChannelProblem, Conversation, SlackError, SlackFailure},
};

/// How long a fetched channel listing is served from the cache.
pub const CHANNEL_LISTING_TTL: Duration = Duration::from_secs(5 * 60);
pub const CHANNEL_PAGE: PageSize = PageSize {
    default: 100,
    max: 1000,
};
/// Longest Retry-After we wait out in the middle of a listing (Tier 2 allows 20 calls a
/// minute, so short waits are normal); a longer one answers UNAVAILABLE.
const MAX_LISTING_WAIT: Duration = Duration::from_secs(10);

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

fn to_listed(c: Conversation) -> SlackChannel {
    SlackChannel {
        id: c.id,
        name: c.name,
        purpose: c.purpose.map(|p| p.value).unwrap_or_default(),
        member_count: c.num_members,
        is_member: c.is_member,
    }
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

    /// Every public, non-archived channel, following every cursor.
    async fn fetch_channels(&self, token: &SecretString) -> Result<Vec<SlackChannel>, CoreError> {
        let mut channels = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            match self
                .slack
                .conversations_list_page(token, cursor.as_deref())
                .await
            {
                Ok((page, next)) => {
                    channels.extend(
                        page.into_iter()
                            .filter(|c| !c.is_archived && !c.is_private)
                            .map(to_listed),
                    );
                    match next {
                        Some(next) => cursor = Some(next),
                        None => return Ok(channels),
                    }
                }
                Err(SlackError::RateLimited { retry_after })
                    if retry_after <= MAX_LISTING_WAIT && crate::deadline::allows(retry_after) =>
                {
                    tokio::time::sleep(retry_after).await;
                }
                Err(err) => return Err(CoreError::from_slack(err)),
            }
        }
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

        let cached = if query.refresh {
            None
        } else {
            self.store
                .channel_listing(id)
                .await?
                .filter(|(_, fetched)| {
                    Utc::now()
                        .signed_duration_since(*fetched)
                        .to_std()
                        .unwrap_or_default()
                        < CHANNEL_LISTING_TTL
                })
        };
        let mut channels = match cached {
            Some((channels, _)) => channels,
            None => {
                let token = self.access_token(&integration).await?;
                let channels = self.fetch_channels(&token).await?;
                self.store.save_channel_listing(id, &channels).await?;
                channels
            }
        };

        if let Some(q) = &name_query {
            channels.retain(|c| c.name.to_lowercase().contains(q.as_str()));
        }
        channels.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        let total_size = channels.len();
        let start = match &after {
            Some((name, cid)) => channels.partition_point(|c| (&c.name, &c.id) <= (name, cid)),
            None => 0,
        };
        let mut page: Vec<SlackChannel> = channels
            .into_iter()
            .skip(start)
            .take(page_size + 1)
            .collect();
        let next_page_token = self
            .pages
            .next_page(&mut page, page_size, &fingerprint, |last| {
                (last.name.clone(), last.id.clone())
            });
        Ok(ChannelPage {
            channels: page,
            next_page_token,
            total_size,
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
