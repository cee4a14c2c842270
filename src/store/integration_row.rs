//! How an integration row (read through the `integrations_with_channel` view) becomes a
//! domain `Integration`.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use super::StoreError;
use crate::domain::{
    ChannelId, ChannelState, Condition, Installation, Integration, IntegrationId, IntegrationName,
    NotificationChannel, Platform, TeamId, WorkspaceId,
};

pub(super) const COLUMNS: &str = "id, team_id, platform_name, workspace_id, name, enabled, condition, \
    status_reason, workspace_name, enterprise_id, enterprise_name, is_enterprise_install, \
    bot_user_id, bot_id, app_id, scopes, create_time, update_time, connect_time, \
    reconnect_count, last_health_check_time, nc_channel_id, nc_channel_name, nc_state, nc_set_time";

/// Reads go through this view: the integration with its notification channel.
pub(super) const VIEW: &str = "integrations_with_channel";

#[derive(FromRow)]
pub(super) struct IntegrationRow {
    id: Uuid,
    team_id: String,
    platform_name: String,
    workspace_id: String,
    name: String,
    enabled: bool,
    condition: String,
    status_reason: Option<String>,
    workspace_name: String,
    enterprise_id: Option<String>,
    enterprise_name: Option<String>,
    is_enterprise_install: bool,
    bot_user_id: String,
    bot_id: String,
    app_id: String,
    scopes: Vec<String>,
    create_time: DateTime<Utc>,
    update_time: DateTime<Utc>,
    connect_time: DateTime<Utc>,
    reconnect_count: i32,
    last_health_check_time: Option<DateTime<Utc>>,
    nc_channel_id: Option<String>,
    nc_channel_name: Option<String>,
    nc_state: Option<String>,
    nc_set_time: Option<DateTime<Utc>>,
}

impl TryFrom<IntegrationRow> for Integration {
    type Error = StoreError;

    fn try_from(row: IntegrationRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str| {
            StoreError::Internal(sqlx::Error::Decode(
                format!("integration {}: unknown {what}", row.id).into(),
            ))
        };
        let platform = Platform::find(&row.platform_name).ok_or_else(|| corrupt("platform"))?;
        let condition = Condition::parse(&row.condition).ok_or_else(|| corrupt("condition"))?;
        let notification_channel = match (
            row.nc_channel_id,
            row.nc_channel_name,
            row.nc_state,
            row.nc_set_time,
        ) {
            (Some(channel_id), Some(channel_name), Some(state), Some(set_time)) => {
                Some(NotificationChannel {
                    channel_id: ChannelId::from_trusted(channel_id),
                    channel_name,
                    state: ChannelState::parse(&state).ok_or_else(|| corrupt("channel state"))?,
                    set_time,
                })
            }
            _ => None,
        };
        Ok(Integration {
            id: IntegrationId::from_uuid(row.id),
            team_id: TeamId::from_trusted(row.team_id),
            name: IntegrationName::from_trusted(row.name),
            platform,
            enabled: row.enabled,
            condition,
            status_reason: row.status_reason,
            workspace_id: WorkspaceId::from_trusted(row.workspace_id.clone()),
            installation: Installation {
                workspace_id: row.workspace_id,
                workspace_name: row.workspace_name,
                enterprise_id: row.enterprise_id,
                enterprise_name: row.enterprise_name,
                is_enterprise_install: row.is_enterprise_install,
                bot_user_id: row.bot_user_id,
                bot_id: row.bot_id,
                app_id: row.app_id,
                scopes: row.scopes,
            },
            notification_channel,
            create_time: row.create_time,
            update_time: row.update_time,
            connect_time: row.connect_time,
            reconnect_count: row.reconnect_count,
            last_health_check_time: row.last_health_check_time,
        })
    }
}
