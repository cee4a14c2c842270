use chrono::{DateTime, Utc};

use super::{
    FieldViolation, IntegrationCategory, IntegrationId, NotificationChannel, Platform, TeamId,
    WorkspaceId,
    newtype::{string_newtype, text_enum},
};

text_enum! {
    /// What Slack last told us about an integration's token, independent of `enabled`.
    pub enum Condition {
        Healthy = "healthy",
        /// A health check or token refresh failed; may recover.
        Error = "error",
        /// The token was revoked or the app uninstalled; only a reconnect recovers.
        Revoked = "revoked",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrationStatus {
    Active,
    Inactive,
    Error,
    Revoked,
}

impl IntegrationStatus {
    /// The one rule for status: it is derived, never set.
    pub fn derive(enabled: bool, condition: Condition) -> Self {
        match (enabled, condition) {
            (false, _) => Self::Inactive,
            (true, Condition::Revoked) => Self::Revoked,
            (true, Condition::Error) => Self::Error,
            (true, Condition::Healthy) => Self::Active,
        }
    }

    /// The (enabled, condition) pairs that derive to this status, for filtering in SQL.
    /// `None` for the condition means any condition.
    pub fn preimage(self) -> (bool, Option<Condition>) {
        match self {
            Self::Inactive => (false, None),
            Self::Revoked => (true, Some(Condition::Revoked)),
            Self::Error => (true, Some(Condition::Error)),
            Self::Active => (true, Some(Condition::Healthy)),
        }
    }
}

const NAME_MAX_CHARS: usize = 200;

string_newtype! {
    /// A human name for an integration: 1-200 characters, no control characters.
    IntegrationName
}

impl IntegrationName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldViolation::new(field, "must not be empty"));
        }
        if trimmed.chars().count() > NAME_MAX_CHARS {
            return Err(FieldViolation::new(
                field,
                format!("must be at most {NAME_MAX_CHARS} characters"),
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(FieldViolation::new(
                field,
                "must not contain control characters",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// A name derived from Slack's workspace name, cut to fit rather than refused.
    pub fn from_workspace_name(workspace_name: &str) -> Self {
        let cleaned: String = workspace_name
            .chars()
            .filter(|c| !c.is_control())
            .take(NAME_MAX_CHARS)
            .collect();
        let cleaned = cleaned.trim();
        Self(if cleaned.is_empty() {
            "Slack".to_owned()
        } else {
            cleaned.to_owned()
        })
    }
}

/// What an OAuth v2 install told us about the workspace and the bot; the tokens travel
/// separately so that this can be logged and returned.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Installation {
    pub workspace_id: String,
    pub workspace_name: String,
    pub enterprise_id: Option<String>,
    pub enterprise_name: Option<String>,
    pub is_enterprise_install: bool,
    pub bot_user_id: String,
    pub bot_id: String,
    pub app_id: String,
    pub scopes: Vec<String>,
}

/// An integration as callers see it (never with tokens).
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    pub id: IntegrationId,
    pub team_id: TeamId,
    pub name: IntegrationName,
    pub platform: &'static Platform,
    pub enabled: bool,
    pub condition: Condition,
    pub status_reason: Option<String>,
    pub workspace_id: WorkspaceId,
    pub installation: Installation,
    pub notification_channel: Option<NotificationChannel>,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub connect_time: DateTime<Utc>,
    pub reconnect_count: i32,
    pub last_health_check_time: Option<DateTime<Utc>>,
}

impl Integration {
    pub fn status(&self) -> IntegrationStatus {
        IntegrationStatus::derive(self.enabled, self.condition)
    }

    pub fn category(&self) -> IntegrationCategory {
        self.platform.category
    }

    /// Why the status is not ACTIVE; `None` when it is.
    pub fn status_reason(&self) -> Option<&str> {
        match self.status() {
            IntegrationStatus::Active => None,
            IntegrationStatus::Inactive => Some("disabled"),
            IntegrationStatus::Error | IntegrationStatus::Revoked => self
                .status_reason
                .as_deref()
                .or(Some(self.condition.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_derived_with_enabled_first() {
        use Condition::*;
        use IntegrationStatus as S;
        assert_eq!(S::derive(false, Revoked), S::Inactive);
        assert_eq!(S::derive(false, Healthy), S::Inactive);
        assert_eq!(S::derive(true, Revoked), S::Revoked);
        assert_eq!(S::derive(true, Error), S::Error);
        assert_eq!(S::derive(true, Healthy), S::Active);
    }

    #[test]
    fn preimage_derives_back_to_the_status() {
        for status in [
            IntegrationStatus::Active,
            IntegrationStatus::Inactive,
            IntegrationStatus::Error,
            IntegrationStatus::Revoked,
        ] {
            let (enabled, condition) = status.preimage();
            let condition = condition.unwrap_or(Condition::Healthy);
            assert_eq!(IntegrationStatus::derive(enabled, condition), status);
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            IntegrationName::parse("name", "  Ops ").unwrap().as_str(),
            "Ops"
        );
        assert!(IntegrationName::parse("name", "   ").is_err());
        assert!(IntegrationName::parse("name", &"n".repeat(201)).is_err());
        assert_eq!(IntegrationName::from_workspace_name("").as_str(), "Slack");
    }
}
