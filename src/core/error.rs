use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::{
    domain::{
        ChannelId, ChannelState, Denial, FieldViolation, Integration, IntegrationId,
        IntegrationStatus,
    },
    slack::{SlackError, SlackFailure},
    store::StoreError,
};

/// A duplicate install: the integration that exists and where the fresh tokens wait.
#[derive(Debug)]
pub struct DuplicateInstall {
    pub existing: Integration,
    pub reconnect_token: SecretString,
    pub reconnect_token_expire_time: DateTime<Utc>,
}

/// Every outcome of a use case that a caller can see, and nothing else.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("invalid request")]
    InvalidArgument(Vec<FieldViolation>),
    /// Retention removed events after the consumer's cursor: it must resync.
    #[error("events after the cursor were removed by retention")]
    EventCursorExpired,
    #[error("slack refused the authorization code")]
    SlackOAuthCodeInvalid,
    #[error("slack refused the request: {code}")]
    SlackRejected { code: String },
    #[error("the OAuth state is unknown, used or expired")]
    OAuthStateInvalid,
    #[error("the reconnect token is unknown, used or expired")]
    ReconnectTokenInvalid,
    #[error("integration {integration_id} is for workspace {expected}, not {actual}")]
    WorkspaceMismatch {
        integration_id: IntegrationId,
        expected: String,
        actual: String,
    },
    #[error("the team already has an integration for this workspace")]
    IntegrationAlreadyExists(Box<DuplicateInstall>),
    #[error("the integration is {status:?}, not active")]
    IntegrationNotActive { status: IntegrationStatus },
    #[error("channel {channel_id} not found")]
    ChannelNotFound { channel_id: ChannelId },
    #[error("channel {channel_id} is archived")]
    ChannelArchived { channel_id: ChannelId },
    #[error("channel {channel_id} is not public")]
    ChannelNotPublic { channel_id: ChannelId },
    /// Asked for the notification channel, and there is none (NOT_FOUND).
    #[error("no notification channel is set")]
    NotificationChannelNotSet,
    /// Sending needs a notification channel, and there is none (FAILED_PRECONDITION).
    #[error("no notification channel is set")]
    NoNotificationChannel,
    #[error("the notification channel is {state:?}")]
    NotificationChannelUnavailable { state: ChannelState },
    #[error("another message was sent with this internal_message_id")]
    MessageAlreadyExists { delivery_id: String },
    #[error("message {internal_message_id} not found")]
    MessageNotFound { internal_message_id: String },
    #[error("message {internal_message_id} has not reached Slack")]
    MessageNotDelivered { internal_message_id: String },
    #[error("request id {request_id} was used for a different request")]
    RequestIdReused { request_id: String },
    /// A batch item left untried: the call's deadline or an outage stopped the batch first.
    #[error("not attempted")]
    NotAttempted { retry_after: Duration },
    #[error("{resource} {id} not found")]
    NotFound { resource: Resource, id: String },
    #[error("permission denied")]
    PermissionDenied,
    #[error("{dependency} is unavailable")]
    Unavailable {
        dependency: Dependency,
        retry_after: Duration,
    },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What a caller asked for by id and may be told does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Integration,
    Delivery,
    WebhookSubscription,
}

/// What a use case depends on and may find unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    Database,
    Slack,
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Integration => "integration",
            Self::Delivery => "delivery",
            Self::WebhookSubscription => "webhook subscription",
        })
    }
}

impl std::fmt::Display for Dependency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Database => "database",
            Self::Slack => "slack",
        })
    }
}

/// How long a caller should wait when the dependency did not say.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// An error with every cause under it, `outer: inner: root`, for logs: an internal error
/// is only worth logging with the cause that explains it.
pub struct CauseChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for CauseChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(err) = cause {
            write!(f, ": {err}")?;
            cause = err.source();
        }
        Ok(())
    }
}

impl CoreError {
    pub fn invalid(violation: FieldViolation) -> Self {
        Self::InvalidArgument(vec![violation])
    }

    pub fn denied(denial: Denial, resource: Resource, id: impl ToString) -> Self {
        match denial {
            Denial::NotFound => Self::NotFound {
                resource,
                id: id.to_string(),
            },
            Denial::PermissionDenied => Self::PermissionDenied,
        }
    }

    /// A Slack failure outside OAuth's and channels' special cases.
    pub fn from_slack(err: SlackError) -> Self {
        match err.failure() {
            SlackFailure::RateLimited { retry_after } => Self::Unavailable {
                dependency: Dependency::Slack,
                retry_after: retry_after.unwrap_or(DEFAULT_RETRY_AFTER),
            },
            SlackFailure::Retryable => Self::Unavailable {
                dependency: Dependency::Slack,
                retry_after: DEFAULT_RETRY_AFTER,
            },
            _ => Self::SlackRejected { code: err.label() },
        }
    }
}

impl From<StoreError> for CoreError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(source) => {
                tracing::error!(error = %CauseChain(&source), "database unavailable");
                Self::Unavailable {
                    dependency: Dependency::Database,
                    retry_after: DEFAULT_RETRY_AFTER,
                }
            }
            StoreError::Deadline => Self::Unavailable {
                dependency: Dependency::Database,
                retry_after: DEFAULT_RETRY_AFTER,
            },
            other => Self::Internal(Box::new(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_cause_chain_names_every_cause() {
        let err = Outer(std::io::Error::other("root cause"));
        assert_eq!(CauseChain(&err).to_string(), "outer: root cause");
    }

    #[test]
    fn slack_failures_map_to_retry_or_rejection() {
        let wait = Duration::from_secs(9);
        assert!(matches!(
            CoreError::from_slack(SlackError::RateLimited { retry_after: wait }),
            CoreError::Unavailable { dependency: Dependency::Slack, retry_after } if retry_after == wait
        ));
        assert!(matches!(
            CoreError::from_slack(SlackError::api("ratelimited")),
            CoreError::Unavailable {
                retry_after: DEFAULT_RETRY_AFTER,
                ..
            }
        ));
        assert!(matches!(
            CoreError::from_slack(SlackError::api("no_text")),
            CoreError::SlackRejected { code } if code == "no_text"
        ));
    }
}
