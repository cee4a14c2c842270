//! Domain values to their proto form.

use chrono::{DateTime, Utc};

use crate::{
    domain::{self, ChannelState, IntegrationCategory, IntegrationStatus},
    proto::v1,
};

pub fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: time.timestamp_subsec_nanos() as i32,
    }
}

pub fn category_to_proto(category: IntegrationCategory) -> v1::IntegrationCategory {
    match category {
        IntegrationCategory::Ticketing => v1::IntegrationCategory::Ticketing,
        IntegrationCategory::Crm => v1::IntegrationCategory::Crm,
        IntegrationCategory::Messaging => v1::IntegrationCategory::Messaging,
        IntegrationCategory::Communication => v1::IntegrationCategory::Communication,
        IntegrationCategory::ProjectManagement => v1::IntegrationCategory::ProjectManagement,
        IntegrationCategory::CodeRepository => v1::IntegrationCategory::CodeRepository,
        IntegrationCategory::Webhook => v1::IntegrationCategory::Webhook,
    }
}

/// `None` for UNSPECIFIED (no filter).
pub fn category_from_proto(category: v1::IntegrationCategory) -> Option<IntegrationCategory> {
    Some(match category {
        v1::IntegrationCategory::Unspecified => return None,
        v1::IntegrationCategory::Ticketing => IntegrationCategory::Ticketing,
        v1::IntegrationCategory::Crm => IntegrationCategory::Crm,
        v1::IntegrationCategory::Messaging => IntegrationCategory::Messaging,
        v1::IntegrationCategory::Communication => IntegrationCategory::Communication,
        v1::IntegrationCategory::ProjectManagement => IntegrationCategory::ProjectManagement,
        v1::IntegrationCategory::CodeRepository => IntegrationCategory::CodeRepository,
        v1::IntegrationCategory::Webhook => IntegrationCategory::Webhook,
    })
}

pub fn status_to_proto(status: IntegrationStatus) -> v1::IntegrationStatus {
    match status {
        IntegrationStatus::Active => v1::IntegrationStatus::Active,
        IntegrationStatus::Inactive => v1::IntegrationStatus::Inactive,
        IntegrationStatus::Error => v1::IntegrationStatus::Error,
        IntegrationStatus::Revoked => v1::IntegrationStatus::Revoked,
    }
}

/// `None` for UNSPECIFIED (no filter).
pub fn status_from_proto(status: v1::IntegrationStatus) -> Option<IntegrationStatus> {
    Some(match status {
        v1::IntegrationStatus::Unspecified => return None,
        v1::IntegrationStatus::Active => IntegrationStatus::Active,
        v1::IntegrationStatus::Inactive => IntegrationStatus::Inactive,
        v1::IntegrationStatus::Error => IntegrationStatus::Error,
        v1::IntegrationStatus::Revoked => IntegrationStatus::Revoked,
    })
}

fn channel_state_to_proto(state: ChannelState) -> v1::ChannelState {
    match state {
        ChannelState::Ready => v1::ChannelState::Ready,
        ChannelState::Archived => v1::ChannelState::Archived,
        ChannelState::Deleted => v1::ChannelState::Deleted,
        ChannelState::BotRemoved => v1::ChannelState::BotRemoved,
    }
}

pub fn notification_channel_to_proto(
    channel: &domain::NotificationChannel,
) -> v1::NotificationChannel {
    v1::NotificationChannel {
        channel_id: channel.channel_id.to_string(),
        channel_name: channel.channel_name.clone(),
        state: channel_state_to_proto(channel.state) as i32,
        set_time: Some(timestamp(channel.set_time)),
    }
}

pub fn integration_to_proto(integration: &domain::Integration) -> v1::Integration {
    let inst = &integration.installation;
    v1::Integration {
        id: integration.id.to_string(),
        team_id: integration.team_id.to_string(),
        name: integration.name.as_str().to_owned(),
        platform_name: integration.platform.name.to_owned(),
        category: category_to_proto(integration.category()) as i32,
        enabled: integration.enabled,
        status: status_to_proto(integration.status()) as i32,
        status_reason: integration.status_reason().unwrap_or_default().to_owned(),
        slack_workspace: Some(v1::SlackWorkspace {
            workspace_id: inst.workspace_id.clone(),
            workspace_name: inst.workspace_name.clone(),
            enterprise_id: inst.enterprise_id.clone().unwrap_or_default(),
            enterprise_name: inst.enterprise_name.clone().unwrap_or_default(),
            is_enterprise_install: inst.is_enterprise_install,
            bot_user_id: inst.bot_user_id.clone(),
            bot_id: inst.bot_id.clone(),
            app_id: inst.app_id.clone(),
            scopes: inst.scopes.clone(),
        }),
        notification_channel: integration
            .notification_channel
            .as_ref()
            .map(notification_channel_to_proto),
        create_time: Some(timestamp(integration.create_time)),
        update_time: Some(timestamp(integration.update_time)),
        connect_time: Some(timestamp(integration.connect_time)),
        reconnect_count: integration.reconnect_count,
        last_health_check_time: integration.last_health_check_time.map(timestamp),
    }
}
