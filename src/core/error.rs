use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::{
    domain::{ChannelState, Denial, FieldViolation, Integration, IntegrationId, IntegrationStatus},
    slack::{SlackError, SlackErrorClass},
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
    ChannelNotFound { channel_id: String },
    #[error("channel {channel_id} is archived")]
    ChannelArchived { channel_id: String },
    #[error("channel {channel_id} is not public")]
    ChannelNotPublic { channel_id: String },
    #[error("no notification channel is set")]
    NotificationChannelNotSet,
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
    NotFound { resource: &'static str, id: String },
    #[error("permission denied")]
    PermissionDenied,
    #[error("{dependency} is unavailable")]
    Unavailable {
        dependency: &'static str,
        retry_after: Duration,
    },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl CoreError {
    pub fn invalid(violation: FieldViolation) -> Self {
        Self::InvalidArgument(vec![violation])
    }

    pub fn denied(denial: Denial, resource: &'static str, id: impl ToString) -> Self {
        match denial {
            Denial::NotFound => Self::NotFound {
                resource,
                id: id.to_string(),
            },
            Denial::PermissionDenied => Self::PermissionDenied,
        }
    }

    /// A Slack failure outside OAuth's special cases.
    pub fn from_slack(err: SlackError) -> Self {
        match (err.class(), err) {
            (SlackErrorClass::RateLimited, SlackError::RateLimited { retry_after }) => {
                Self::Unavailable {
                    dependency: "slack",
                    retry_after,
                }
            }
            (SlackErrorClass::RateLimited | SlackErrorClass::Retryable, _) => Self::Unavailable {
                dependency: "slack",
                retry_after: Duration::from_secs(1),
            },
            (_, err) => Self::SlackRejected { code: err.label() },
        }
    }
}

impl From<StoreError> for CoreError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(source) => {
                tracing::error!(error = %source, "database unavailable");
                Self::Unavailable {
                    dependency: "database",
                    retry_after: Duration::from_secs(1),
                }
            }
            StoreError::Deadline => Self::Unavailable {
                dependency: "database",
                retry_after: Duration::from_secs(1),
            },
            other => Self::Internal(Box::new(other)),
        }
    }
}
