use std::time::Duration;

/// One failed call to Slack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// HTTP 200 with `ok: false`.
    #[error("slack answered {code}")]
    Api { code: String },
    /// HTTP 429 (or a rate-limit error code): wait `retry_after` before calling again.
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

/// What a failure means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlackErrorClass {
    /// Try again later (5xx, timeouts, connection errors, Slack's own transient codes).
    Retryable,
    /// Wait for Retry-After; not a failed attempt.
    RateLimited,
    /// The token is dead: the integration needs a reconnect.
    NeedsReconnect,
    /// The token expired: refresh it, then retry.
    TokenExpired,
    /// The channel is gone, archived or we are not in it.
    ChannelProblem,
    /// Retrying will not help.
    Permanent,
}

/// Slack's rate-limit codes: the docs spell it both ways.
const RATE_LIMIT_CODES: &[&str] = &["ratelimited", "rate_limited", "message_limit_exceeded"];

impl SlackError {
    pub fn class(&self) -> SlackErrorClass {
        match self {
            Self::RateLimited { .. } => SlackErrorClass::RateLimited,
            Self::Http { status } if *status >= 500 => SlackErrorClass::Retryable,
            Self::Http { .. } => SlackErrorClass::Permanent,
            Self::Timeout | Self::Connect | Self::Protocol(_) => SlackErrorClass::Retryable,
            Self::Api { code } => match code.as_str() {
                c if RATE_LIMIT_CODES.contains(&c) => SlackErrorClass::RateLimited,
                "invalid_auth"
                | "token_revoked"
                | "account_inactive"
                | "not_authed"
                | "app_uninstalled"
                | "invalid_refresh_token" => SlackErrorClass::NeedsReconnect,
                "token_expired" => SlackErrorClass::TokenExpired,
                "channel_not_found" | "is_archived" | "not_in_channel" => {
                    SlackErrorClass::ChannelProblem
                }
                "fatal_error" | "internal_error" | "request_timeout" | "service_unavailable" => {
                    SlackErrorClass::Retryable
                }
                _ => SlackErrorClass::Permanent,
            },
        }
    }

    /// A short, stable label for logs, metrics and the attempt log: Slack's own error code,
    /// or `http_5xx` / `timeout` / `connection`.
    pub fn label(&self) -> String {
        match self {
            Self::Api { code } => code.clone(),
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

    fn api(code: &str) -> SlackError {
        SlackError::Api { code: code.into() }
    }

    #[test]
    fn classification() {
        assert_eq!(
            api("token_revoked").class(),
            SlackErrorClass::NeedsReconnect
        );
        assert_eq!(api("invalid_auth").class(), SlackErrorClass::NeedsReconnect);
        assert_eq!(api("rate_limited").class(), SlackErrorClass::RateLimited);
        assert_eq!(api("ratelimited").class(), SlackErrorClass::RateLimited);
        assert_eq!(api("is_archived").class(), SlackErrorClass::ChannelProblem);
        assert_eq!(api("fatal_error").class(), SlackErrorClass::Retryable);
        assert_eq!(api("invalid_code").class(), SlackErrorClass::Permanent);
        assert_eq!(
            SlackError::Http { status: 503 }.class(),
            SlackErrorClass::Retryable
        );
        assert_eq!(
            SlackError::Http { status: 404 }.class(),
            SlackErrorClass::Permanent
        );
        assert_eq!(SlackError::Timeout.class(), SlackErrorClass::Retryable);
    }

    #[test]
    fn labels() {
        assert_eq!(SlackError::Http { status: 502 }.label(), "http_5xx");
        assert_eq!(SlackError::Timeout.label(), "timeout");
        assert_eq!(SlackError::Connect.label(), "connection");
        assert_eq!(api("channel_not_found").label(), "channel_not_found");
    }
}
