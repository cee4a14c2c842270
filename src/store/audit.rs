use sqlx::PgConnection;

use crate::domain::{IntegrationId, TeamId};

/// The changes to an integration that are kept in `integration_audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    Created,
    Reconnected,
    DuplicateAttempt,
    Enabled,
    Disabled,
    Renamed,
    Deleted,
    ChannelSet,
    ChannelCleared,
    /// What Slack said of the token changed the integration's status.
    StatusChanged,
}

impl AuditAction {
    fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Reconnected => "reconnected",
            Self::DuplicateAttempt => "duplicate_attempt",
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::Renamed => "renamed",
            Self::Deleted => "deleted",
            Self::ChannelSet => "channel_set",
            Self::ChannelCleared => "channel_cleared",
            Self::StatusChanged => "status_changed",
        }
    }
}

/// Records one change, inside the transaction that makes it.
pub(super) async fn record(
    conn: &mut PgConnection,
    integration_id: IntegrationId,
    team_id: &TeamId,
    workspace_id: &str,
    action: AuditAction,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO integration_audit (integration_id, team_id, workspace_id, action, detail)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(integration_id.as_uuid())
    .bind(team_id.as_str())
    .bind(workspace_id)
    .bind(action.as_str())
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}
