//! Every failed call to Slack, classified once into what it means for the caller.
//!
//! Slack's `ok: false` codes are read here and nowhere else: callers match on
//! [`SlackFailure`] (and [`ChannelProblem`]), never on Slack's strings. The code itself is
//! kept only as a label for logs, metrics, the attempt log and `last_error`.

use std::time::Duration;

/// One failed call to Slack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// HTTP 200 with `ok: false`.
    #[error("slack answered {}", .0.code)]
    Api(ApiError),
    /// HTTP 429: wait `retry_after` before calling again.
    #[error("slack rate limited the call; retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// Any other non-200 HTTP status.
    #[error("slack answered HTTP {status}")]
    Http { status: u16 },
    #[error("the call to slack timed out")]
    Timeout,
    #[error("could not connect to slack")]
    Connect,
    /// The connection broke or the answer was not what Slack sends.
    #[error("unexpected answer from slack: {0}")]
    Protocol(String),
}

/// Slack's `ok: false` answer: its code as sent, and what it means (read once, at
/// construction, so the two cannot disagree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    code: String,
    failure: SlackFailure,
}

/// What a failure means, for callers to match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlackFailure {
    /// `oauth.v2.access` refused the authorization code.
    InvalidCode,
    /// The refresh token is dead: the integration needs a reconnect.
    InvalidRefreshToken,
    /// The access token expired: refresh it, then retry.
    TokenExpired,
    /// The access token is dead (revoked, app uninstalled, account gone): reconnect.
    TokenRevoked,
    /// The channel cannot take the call.
    Channel(ChannelProblem),
    /// `chat.update` / `chat.delete` found no such message.
    MessageNotFound,
    /// Slow down. `retry_after` is Slack's Retry-After (HTTP 429); Slack's rate-limit
    /// codes in an `ok: false` answer come without one.
    RateLimited { retry_after: Option<Duration> },
    /// Try again later: 5xx, timeouts, connection errors, Slack's own transient codes.
    Retryable,
    /// Anything else: retrying will not help.
    Rejected,
}

/// Why a channel refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelProblem {
    NotFound,
    Archived,
    /// The bot is not a member (it was removed, or never joined).
    NotInChannel,
    /// A private channel, DM or other kind the method does not take.
    NotPublic,
}

/// Slack's codes that mean something to switchboard, each spelled once. The rate-limit
/// code is spelled both ways in Slack's docs.
const KNOWN_CODES: &[(&str, SlackFailure)] = &[
    ("invalid_code", SlackFailure::InvalidCode),
    ("invalid_refresh_token", SlackFailure::InvalidRefreshToken),
    ("token_expired", SlackFailure::TokenExpired),
    ("invalid_auth", SlackFailure::TokenRevoked),
    ("token_revoked", SlackFailure::TokenRevoked),
    ("account_inactive", SlackFailure::TokenRevoked),
    ("not_authed", SlackFailure::TokenRevoked),
    ("app_uninstalled", SlackFailure::TokenRevoked),
    (
        "channel_not_found",
        SlackFailure::Channel(ChannelProblem::NotFound),
    ),
    (
        "is_archived",
        SlackFailure::Channel(ChannelProblem::Archived),
    ),
    (
        "not_in_channel",
        SlackFailure::Channel(ChannelProblem::NotInChannel),
    ),
    (
        "method_not_supported_for_channel_type",
        SlackFailure::Channel(ChannelProblem::NotPublic),
    ),
    ("message_not_found", SlackFailure::MessageNotFound),
    (
        "ratelimited",
        SlackFailure::RateLimited { retry_after: None },
    ),
    (
        "rate_limited",
        SlackFailure::RateLimited { retry_after: None },
    ),
    (
        "message_limit_exceeded",
        SlackFailure::RateLimited { retry_after: None },
    ),
    ("fatal_error", SlackFailure::Retryable),
    ("internal_error", SlackFailure::Retryable),
    ("request_timeout", SlackFailure::Retryable),
    ("service_unavailable", SlackFailure::Retryable),
];

impl ApiError {
    /// Slack's code, as sent.
    pub fn code(&self) -> &str {
        &self.code
    }
}

impl SlackFailure {
    /// Whether trying again later may succeed: Slack may not even have seen the call.
    pub fn is_transient(self) -> bool {
        matches!(self, Self::Retryable | Self::RateLimited { .. })
    }
}

impl SlackError {
    /// An `ok: false` answer, classified.
    pub fn api(code: impl Into<String>) -> Self {
        let code = code.into();
        let failure = KNOWN_CODES
            .iter()
            .find(|(known, _)| *known == code)
            .map_or(SlackFailure::Rejected, |(_, failure)| *failure);
        Self::Api(ApiError { code, failure })
    }

    pub fn failure(&self) -> SlackFailure {
        match self {
            Self::Api(api) => api.failure,
            Self::RateLimited { retry_after } => SlackFailure::RateLimited {
                retry_after: Some(*retry_after),
            },
            Self::Http { status } if *status >= 500 => SlackFailure::Retryable,
            Self::Http { .. } => SlackFailure::Rejected,
            Self::Timeout | Self::Connect | Self::Protocol(_) => SlackFailure::Retryable,
        }
    }

    /// A short, stable label for logs, metrics and the attempt log: Slack's own error code,
    /// or `http_5xx` / `timeout` / `connection`.
    pub fn label(&self) -> String {
        match self {
            Self::Api(api) => api.code.clone(),
            Self::RateLimited { .. } => "ratelimited".into(),
            Self::Http { status } if *status >= 500 => "http_5xx".into(),
            Self::Http { status } => format!("http_{status}"),
            Self::Timeout => "timeout".into(),
            Self::Connect | Self::Protocol(_) => "connection".into(),
        }
    }

    /// Whether the request may have reached Slack and taken effect: the call timed out or
    /// the connection broke after it was sent. A refused connection, a 429 or an answer
    /// means it did not (5xx answers come from Slack's edge before the method runs).
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Self::Timeout | Self::Protocol(_))
    }

    pub(crate) fn from_transport(err: &reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::Timeout
        } else if err.is_connect() {
            Self::Connect
        } else {
            Self::Protocol(err.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: &str) -> SlackFailure {
        SlackError::api(code).failure()
    }

    #[test]
    fn codes_are_classified_once() {
        assert_eq!(failure("token_revoked"), SlackFailure::TokenRevoked);
        assert_eq!(failure("invalid_auth"), SlackFailure::TokenRevoked);
        assert_eq!(failure("invalid_code"), SlackFailure::InvalidCode);
        assert_eq!(
            failure("invalid_refresh_token"),
            SlackFailure::InvalidRefreshToken
        );
        assert_eq!(failure("token_expired"), SlackFailure::TokenExpired);
        let unpaced = SlackFailure::RateLimited { retry_after: None };
        assert_eq!(failure("rate_limited"), unpaced);
        assert_eq!(failure("ratelimited"), unpaced);
        assert_eq!(
            failure("is_archived"),
            SlackFailure::Channel(ChannelProblem::Archived)
        );
        assert_eq!(
            failure("method_not_supported_for_channel_type"),
            SlackFailure::Channel(ChannelProblem::NotPublic)
        );
        assert_eq!(failure("message_not_found"), SlackFailure::MessageNotFound);
        assert_eq!(failure("fatal_error"), SlackFailure::Retryable);
        assert_eq!(failure("no_text"), SlackFailure::Rejected);
    }

    #[test]
    fn transport_failures() {
        assert_eq!(
            SlackError::Http { status: 503 }.failure(),
            SlackFailure::Retryable
        );
        assert_eq!(
            SlackError::Http { status: 404 }.failure(),
            SlackFailure::Rejected
        );
        assert_eq!(SlackError::Timeout.failure(), SlackFailure::Retryable);
        let wait = Duration::from_secs(7);
        assert_eq!(
            SlackError::RateLimited { retry_after: wait }.failure(),
            SlackFailure::RateLimited {
                retry_after: Some(wait)
            }
        );
        assert!(SlackFailure::Retryable.is_transient());
        assert!(!SlackFailure::TokenRevoked.is_transient());
    }

    #[test]
    fn labels() {
        assert_eq!(SlackError::Http { status: 502 }.label(), "http_5xx");
        assert_eq!(SlackError::Timeout.label(), "timeout");
        assert_eq!(SlackError::Connect.label(), "connection");
        assert_eq!(
            SlackError::api("channel_not_found").label(),
            "channel_not_found"
        );
        assert_eq!(SlackError::api("no_text").label(), "no_text");
    }
}
