//! Reading, listing, changing and deleting integrations.

use super::{
    Core, CoreError, Resource,
    page_token::{PageSize, TimeCursor},
};
use crate::{
    crypto::token_binding,
    domain::{
        Caller, FieldViolation, Integration, IntegrationCategory, IntegrationId, IntegrationName,
        IntegrationStatus, Platform, TeamId,
    },
    store::{IntegrationFilter, UpdateFields},
};

/// Page sizes of the listings of stored resources (integrations, deliveries).
pub const RESOURCE_PAGE: PageSize = PageSize {
    default: 50,
    max: 500,
};

pub struct ListQuery {
    /// `None`: the caller's own team (team tokens) or every team (service keys).
    pub team_id: Option<TeamId>,
    pub page_size: i32,
    pub page_token: String,
    pub category: Option<IntegrationCategory>,
    pub platform_name: Option<String>,
    pub status: Option<IntegrationStatus>,
    pub enabled: Option<bool>,
}

pub struct ListedPage {
    pub integrations: Vec<Integration>,
    pub next_page_token: Option<String>,
    pub total_size: i64,
}

pub struct UpdateRequest {
    pub id: IntegrationId,
    pub name: Option<IntegrationName>,
    pub enabled: Option<bool>,
}

impl Core {
    async fn visible_integration(
        &self,
        caller: &Caller,
        id: IntegrationId,
    ) -> Result<Integration, CoreError> {
        let found = self.store.get_integration(id).await?;
        caller
            .visible(found)
            .map_err(|d| CoreError::denied(d, Resource::Integration, id))
    }

    #[tracing::instrument(name = "core.get_integration", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        integration_id = %id,
    ))]
    pub async fn get_integration(
        &self,
        caller: &Caller,
        id: IntegrationId,
    ) -> Result<Integration, CoreError> {
        self.visible_integration(caller, id).await
    }

    #[tracing::instrument(name = "core.list_integrations", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
    ))]
    pub async fn list_integrations(
        &self,
        caller: &Caller,
        query: ListQuery,
    ) -> Result<ListedPage, CoreError> {
        let team_id = caller
            .scope(query.team_id)
            .map_err(|_| CoreError::PermissionDenied)?;
        let page_size = RESOURCE_PAGE
            .resolve(query.page_size)
            .map_err(CoreError::invalid)?;

        let mut platform_names = query.category.map(IntegrationCategory::platform_names);
        if let Some(name) = &query.platform_name {
            let platform = Platform::find(name).ok_or_else(|| {
                CoreError::invalid(FieldViolation::new(
                    "platform_name",
                    "is not a known platform",
                ))
            })?;
            platform_names = Some(match platform_names {
                Some(names) => names.into_iter().filter(|n| *n == platform.name).collect(),
                None => vec![platform.name],
            });
        }
        let (status_enabled, condition) = match query.status {
            Some(status) => {
                let (enabled, condition) = status.preimage();
                (Some(enabled), condition)
            }
            None => (None, None),
        };
        let fingerprint = format!(
            "team={:?};platforms={:?};status={:?};enabled={:?}",
            team_id.as_ref().map(TeamId::as_str),
            platform_names,
            query.status,
            query.enabled
        );
        let after = self
            .pages
            .position::<TimeCursor>(&query.page_token, &fingerprint)
            .map_err(CoreError::invalid)?
            .map(|c| (c.time, IntegrationId::from_uuid(c.id)));
        // `status` and `enabled` that contradict each other match nothing.
        if let (Some(a), Some(b)) = (status_enabled, query.enabled)
            && a != b
        {
            return Ok(ListedPage {
                integrations: vec![],
                next_page_token: None,
                total_size: 0,
            });
        }

        let filter = IntegrationFilter {
            team_id,
            platform_names: platform_names
                .map(|names| names.into_iter().map(str::to_owned).collect()),
            enabled: status_enabled.or(query.enabled),
            condition,
        };
        let (mut integrations, total_size) = self
            .store
            .list_integrations(&filter, after, page_size as i64 + 1)
            .await?;
        let next_page_token =
            self.pages
                .next_page(&mut integrations, page_size, &fingerprint, |last| {
                    TimeCursor {
                        time: last.create_time,
                        id: last.id.as_uuid(),
                    }
                });
        Ok(ListedPage {
            integrations,
            next_page_token,
            total_size,
        })
    }

    #[tracing::instrument(name = "core.update_integration", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        integration_id = %update.id,
    ))]
    pub async fn update_integration(
        &self,
        caller: &Caller,
        update: UpdateRequest,
    ) -> Result<Integration, CoreError> {
        self.visible_integration(caller, update.id).await?;
        let fields = UpdateFields {
            name: update.name,
            enabled: update.enabled,
        };
        self.store
            .update_integration(update.id, &fields)
            .await?
            .ok_or_else(|| {
                CoreError::denied(
                    crate::domain::Denial::NotFound,
                    Resource::Integration,
                    update.id,
                )
            })
    }

    /// Deletes the integration, then revokes its token at Slack (best effort: the
    /// integration is gone either way).
    #[tracing::instrument(name = "core.delete_integration", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        integration_id = %id,
    ))]
    pub async fn delete_integration(
        &self,
        caller: &Caller,
        id: IntegrationId,
        skip_token_revocation: bool,
    ) -> Result<(), CoreError> {
        self.visible_integration(caller, id).await?;
        let Some((integration, token_enc)) = self.store.delete_integration(id).await? else {
            // Deleted by a concurrent call: the outcome the caller asked for.
            return Ok(());
        };
        tracing::info!(integration_id = %id, team_id = %integration.team_id, "integration deleted");
        if skip_token_revocation {
            return Ok(());
        }
        let binding = token_binding(
            integration.team_id.as_str(),
            integration.workspace_id.as_str(),
        );
        match self.cipher.decrypt(&token_enc, &binding) {
            Ok(token) => {
                if let Err(err) = self.slack.auth_revoke(&token).await {
                    tracing::warn!(integration_id = %id, error = %err, "token revocation failed");
                }
            }
            Err(err) => tracing::error!(integration_id = %id, error = %err, "cannot revoke"),
        }
        Ok(())
    }
}
