use tonic::{Request, Response, Status};

use super::{Violations, caller, convert::notification_channel_to_proto, unparsed};
use crate::{
    core::{ChannelQuery, Core, CoreError},
    domain::{ChannelId, IntegrationId},
    proto::v1::{self, channel_service_server::ChannelService},
};

pub struct ChannelApi {
    core: Core,
}

impl ChannelApi {
    pub fn new(core: Core) -> Self {
        Self { core }
    }
}

fn integration_id(raw: &str) -> Result<IntegrationId, Status> {
    IntegrationId::parse("integration_id", raw).map_err(|v| CoreError::invalid(v).into())
}

#[tonic::async_trait]
impl ChannelService for ChannelApi {
    async fn list_channels(
        &self,
        request: Request<v1::ListChannelsRequest>,
    ) -> Result<Response<v1::ListChannelsResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListChannelsRequest {
            integration_id: raw_id,
            page_size,
            page_token,
            name_query,
            refresh,
        } = request.into_inner();
        let id = integration_id(&raw_id)?;
        let page = self
            .core
            .list_channels(
                &caller,
                id,
                ChannelQuery {
                    page_size,
                    page_token,
                    name_query,
                    refresh,
                },
            )
            .await?;
        Ok(Response::new(v1::ListChannelsResponse {
            channels: page
                .channels
                .into_iter()
                .map(|c| v1::Channel {
                    id: c.id,
                    name: c.name,
                    purpose: c.purpose,
                    member_count: c.member_count,
                    is_member: c.is_member,
                })
                .collect(),
            next_page_token: page.next_page_token.unwrap_or_default(),
            total_size: i32::try_from(page.total_size).unwrap_or(i32::MAX),
        }))
    }

    async fn set_notification_channel(
        &self,
        request: Request<v1::SetNotificationChannelRequest>,
    ) -> Result<Response<v1::NotificationChannel>, Status> {
        let caller = caller(&request)?;
        let v1::SetNotificationChannelRequest {
            integration_id: raw_id,
            channel_id,
        } = request.into_inner();
        let mut violations = Violations::default();
        let id = violations.check(IntegrationId::parse("integration_id", &raw_id));
        let channel = violations.check(ChannelId::parse("channel_id", &channel_id));
        violations.into_result()?;
        let (Some(id), Some(channel)) = (id, channel) else {
            return Err(unparsed());
        };
        let set = self
            .core
            .set_notification_channel(&caller, id, channel)
            .await?;
        Ok(Response::new(notification_channel_to_proto(&set)))
    }

    async fn get_notification_channel(
        &self,
        request: Request<v1::GetNotificationChannelRequest>,
    ) -> Result<Response<v1::NotificationChannel>, Status> {
        let caller = caller(&request)?;
        let v1::GetNotificationChannelRequest {
            integration_id: raw_id,
        } = request.into_inner();
        let channel = self
            .core
            .get_notification_channel(&caller, integration_id(&raw_id)?)
            .await?;
        Ok(Response::new(notification_channel_to_proto(&channel)))
    }

    async fn clear_notification_channel(
        &self,
        request: Request<v1::ClearNotificationChannelRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = caller(&request)?;
        let v1::ClearNotificationChannelRequest {
            integration_id: raw_id,
        } = request.into_inner();
        self.core
            .clear_notification_channel(&caller, integration_id(&raw_id)?)
            .await?;
        Ok(Response::new(()))
    }
}
