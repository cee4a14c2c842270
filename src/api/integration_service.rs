use secrecy::ExposeSecret;
use tonic::{Request, Response, Status};

use super::{
    Violations, caller,
    convert::{
        category_from_proto, category_to_proto, integration_to_proto, status_from_proto, timestamp,
    },
    optional, unparsed,
};
use crate::{
    core::{Core, ListQuery, UpdateRequest},
    domain::{FieldViolation, IntegrationId, IntegrationName, PLATFORMS, RequestId, TeamId},
    proto::v1::{self, integration_service_server::IntegrationService},
};

pub struct IntegrationApi {
    core: Core,
}

impl IntegrationApi {
    pub fn new(core: Core) -> Self {
        Self { core }
    }
}

/// A proto enum field: unknown numbers are refused, UNSPECIFIED means "not given".
fn enum_field<P, D>(
    field: &str,
    raw: Option<i32>,
    from_proto: impl Fn(P) -> Option<D>,
) -> Result<Option<D>, FieldViolation>
where
    P: TryFrom<i32>,
{
    match raw {
        None => Ok(None),
        Some(n) => P::try_from(n)
            .map(from_proto)
            .map_err(|_| FieldViolation::new(field, format!("{n} is not a known value"))),
    }
}

#[tonic::async_trait]
impl IntegrationService for IntegrationApi {
    async fn start_slack_o_auth(
        &self,
        request: Request<v1::StartSlackOAuthRequest>,
    ) -> Result<Response<v1::StartSlackOAuthResponse>, Status> {
        let caller = caller(&request)?;
        let v1::StartSlackOAuthRequest {
            team_id,
            redirect_uri,
            reconnect_integration_id,
        } = request.into_inner();
        let mut violations = Violations::default();
        let team_id = violations.check(TeamId::parse("team_id", &team_id));
        let reconnect = violations.check(optional(
            "reconnect_integration_id",
            &reconnect_integration_id,
            IntegrationId::parse,
        ));
        violations.into_result()?;
        let (Some(team_id), Some(reconnect)) = (team_id, reconnect) else {
            return Err(unparsed());
        };
        let redirect_uri = Some(redirect_uri.as_str()).filter(|u| !u.is_empty());
        let started = self
            .core
            .start_slack_oauth(&caller, team_id, redirect_uri, reconnect)
            .await?;
        Ok(Response::new(v1::StartSlackOAuthResponse {
            authorize_url: started.authorize_url,
            state: started.state.expose_secret().to_owned(),
            expire_time: Some(timestamp(started.expire_time)),
        }))
    }

    async fn complete_slack_o_auth(
        &self,
        request: Request<v1::CompleteSlackOAuthRequest>,
    ) -> Result<Response<v1::Integration>, Status> {
        let caller = caller(&request)?;
        let v1::CompleteSlackOAuthRequest { code, state } = request.into_inner();
        let integration = self
            .core
            .complete_slack_oauth(&caller, &code, &state)
            .await?;
        Ok(Response::new(integration_to_proto(&integration)))
    }

    async fn reconnect_integration(
        &self,
        request: Request<v1::ReconnectIntegrationRequest>,
    ) -> Result<Response<v1::Integration>, Status> {
        let caller = caller(&request)?;
        let v1::ReconnectIntegrationRequest {
            integration_id,
            reconnect_token,
            request_id,
        } = request.into_inner();
        let mut violations = Violations::default();
        let id = violations.check(IntegrationId::parse("integration_id", &integration_id));
        if reconnect_token.is_empty() {
            violations.add("reconnect_token", "is required");
        }
        let request_id = violations.check(RequestId::parse("request_id", request_id.as_deref()));
        violations.into_result()?;
        let (Some(id), Some(request_id)) = (id, request_id) else {
            return Err(unparsed());
        };
        let integration = self
            .core
            .reconnect_integration(&caller, id, &reconnect_token, request_id.as_ref())
            .await?;
        Ok(Response::new(integration_to_proto(&integration)))
    }

    async fn get_integration(
        &self,
        request: Request<v1::GetIntegrationRequest>,
    ) -> Result<Response<v1::Integration>, Status> {
        let caller = caller(&request)?;
        let v1::GetIntegrationRequest { integration_id } = request.into_inner();
        let id = IntegrationId::parse("integration_id", &integration_id)
            .map_err(crate::core::CoreError::invalid)?;
        let integration = self.core.get_integration(&caller, id).await?;
        Ok(Response::new(integration_to_proto(&integration)))
    }

    async fn list_integrations(
        &self,
        request: Request<v1::ListIntegrationsRequest>,
    ) -> Result<Response<v1::ListIntegrationsResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListIntegrationsRequest {
            team_id,
            page_size,
            page_token,
            category,
            platform_name,
            status,
            enabled,
        } = request.into_inner();
        let mut violations = Violations::default();
        let team_id = violations.check(optional("team_id", &team_id, TeamId::parse));
        let category = violations.check(enum_field("category", category, category_from_proto));
        let status = violations.check(enum_field("status", status, status_from_proto));
        violations.into_result()?;
        let (Some(team_id), Some(category), Some(status)) = (team_id, category, status) else {
            return Err(unparsed());
        };
        let page = self
            .core
            .list_integrations(
                &caller,
                ListQuery {
                    team_id,
                    page_size,
                    page_token,
                    category,
                    platform_name: platform_name.filter(|p| !p.is_empty()),
                    status,
                    enabled,
                },
            )
            .await?;
        Ok(Response::new(v1::ListIntegrationsResponse {
            integrations: page.integrations.iter().map(integration_to_proto).collect(),
            next_page_token: page.next_page_token.unwrap_or_default(),
            total_size: i32::try_from(page.total_size).unwrap_or(i32::MAX),
        }))
    }

    async fn update_integration(
        &self,
        request: Request<v1::UpdateIntegrationRequest>,
    ) -> Result<Response<v1::Integration>, Status> {
        let caller = caller(&request)?;
        let v1::UpdateIntegrationRequest {
            integration,
            update_mask,
        } = request.into_inner();
        let Some(integration) = integration else {
            return Err(crate::core::CoreError::invalid(FieldViolation::new(
                "integration",
                "is required",
            ))
            .into());
        };
        let mut violations = Violations::default();
        let id = violations.check(IntegrationId::parse("integration.id", &integration.id));
        let paths = update_mask.map(|m| m.paths).unwrap_or_default();
        let (mut set_name, mut set_enabled) = (false, false);
        if paths.is_empty() {
            // AIP-134: no mask means every mutable field that is populated.
            set_name = !integration.name.is_empty();
            set_enabled = integration.enabled;
        }
        for path in &paths {
            match path.as_str() {
                "name" => set_name = true,
                "enabled" => set_enabled = true,
                "*" => (set_name, set_enabled) = (true, true),
                _ => violations.add(
                    "update_mask.paths",
                    "only \"name\" and \"enabled\" (or \"*\") can be updated",
                ),
            }
        }
        let name = if set_name {
            violations
                .check(IntegrationName::parse("integration.name", &integration.name).map(Some))
        } else {
            Some(None)
        };
        if !set_name && !set_enabled && paths.is_empty() {
            violations.add("update_mask", "names no field to update");
        }
        violations.into_result()?;
        let (Some(id), Some(name)) = (id, name) else {
            return Err(unparsed());
        };
        let updated = self
            .core
            .update_integration(
                &caller,
                UpdateRequest {
                    id,
                    name,
                    enabled: set_enabled.then_some(integration.enabled),
                },
            )
            .await?;
        Ok(Response::new(integration_to_proto(&updated)))
    }

    async fn delete_integration(
        &self,
        request: Request<v1::DeleteIntegrationRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = caller(&request)?;
        let v1::DeleteIntegrationRequest {
            integration_id,
            skip_token_revocation,
        } = request.into_inner();
        let id = IntegrationId::parse("integration_id", &integration_id)
            .map_err(crate::core::CoreError::invalid)?;
        self.core
            .delete_integration(&caller, id, skip_token_revocation)
            .await?;
        Ok(Response::new(()))
    }

    async fn list_platforms(
        &self,
        _request: Request<v1::ListPlatformsRequest>,
    ) -> Result<Response<v1::ListPlatformsResponse>, Status> {
        let platforms = PLATFORMS
            .iter()
            .map(|p| v1::Platform {
                platform_name: p.name.to_owned(),
                category: category_to_proto(p.category) as i32,
                connectable: p.connectable,
            })
            .collect();
        Ok(Response::new(v1::ListPlatformsResponse { platforms }))
    }
}
