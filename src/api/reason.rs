//! Every `google.rpc.ErrorInfo.reason` this service answers with, spelled once.
//!
//! Clients branch on these (api.md names most of them): never rename one. AIP-193 asks for
//! `UPPER_SNAKE_CASE`, at most 63 characters, and a reason more specific than the status
//! code; the test below holds every reason to that, except the three kept from before the
//! rule (see [`Reason::BARE_CODE_NAMES`]).

use std::collections::HashMap;

use tonic_types::ErrorDetails;

use super::ERROR_DOMAIN;

macro_rules! reasons {
    ($($(#[$doc:meta])* $name:ident = $spelling:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Reason {
            $($(#[$doc])* $name,)*
        }

        impl Reason {
            pub const ALL: &[Reason] = &[$(Reason::$name,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$name => $spelling,)*
                }
            }
        }
    };
}

reasons! {
    CredentialMissing = "CREDENTIAL_MISSING",
    CredentialInvalid = "CREDENTIAL_INVALID",
    CredentialExpired = "CREDENTIAL_EXPIRED",
    RequestTooLarge = "REQUEST_TOO_LARGE",
    /// A StreamEvents/ListEvents cursor older than what retention kept.
    EventCursorExpired = "EVENT_CURSOR_EXPIRED",
    /// Bad input; the BadRequest detail names the fields.
    InvalidArgument = "INVALID_ARGUMENT",
    SlackOAuthCodeInvalid = "SLACK_OAUTH_CODE_INVALID",
    /// Slack refused a call for a reason of its own; metadata `slack_error` has its code.
    SlackApiError = "SLACK_API_ERROR",
    OAuthStateInvalid = "OAUTH_STATE_INVALID",
    ReconnectTokenInvalid = "RECONNECT_TOKEN_INVALID",
    WorkspaceMismatch = "WORKSPACE_MISMATCH",
    IntegrationAlreadyExists = "INTEGRATION_ALREADY_EXISTS",
    IntegrationNotActive = "INTEGRATION_NOT_ACTIVE",
    IntegrationNotFound = "INTEGRATION_NOT_FOUND",
    ChannelNotFound = "CHANNEL_NOT_FOUND",
    ChannelArchived = "CHANNEL_ARCHIVED",
    ChannelNotPublic = "CHANNEL_NOT_PUBLIC",
    NotificationChannelNotSet = "NOTIFICATION_CHANNEL_NOT_SET",
    NotificationChannelUnavailable = "NOTIFICATION_CHANNEL_UNAVAILABLE",
    MessageAlreadyExists = "MESSAGE_ALREADY_EXISTS",
    MessageNotFound = "MESSAGE_NOT_FOUND",
    MessageNotDelivered = "MESSAGE_NOT_DELIVERED",
    DeliveryNotFound = "DELIVERY_NOT_FOUND",
    WebhookSubscriptionNotFound = "WEBHOOK_SUBSCRIPTION_NOT_FOUND",
    RequestIdAlreadyUsed = "REQUEST_ID_ALREADY_USED",
    /// A batch item left untried before the call's deadline or an outage.
    NotAttempted = "NOT_ATTEMPTED",
    PermissionDenied = "PERMISSION_DENIED",
    DatabaseUnavailable = "DATABASE_UNAVAILABLE",
    SlackUnavailable = "SLACK_UNAVAILABLE",
    Internal = "INTERNAL",
}

impl Reason {
    /// Reasons that only repeat their status code. Clients and the SDKs' tests match on
    /// `INVALID_ARGUMENT` and `PERMISSION_DENIED` already, and `INTERNAL` has always been
    /// sent, so they keep their spelling; no new reason may join them.
    pub const BARE_CODE_NAMES: &[Reason] = &[
        Reason::InvalidArgument,
        Reason::PermissionDenied,
        Reason::Internal,
    ];

    /// The ErrorInfo detail with this reason, the service's domain and `metadata`.
    pub fn details(self, metadata: &[(&str, String)]) -> ErrorDetails {
        let metadata: HashMap<String, String> = metadata
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        ErrorDetails::with_error_info(self.as_str(), ERROR_DOMAIN, metadata)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AIP-193: `^[A-Z][A-Z0-9_]+[A-Z0-9]$`, at most 63 characters.
    fn is_aip193_reason(reason: &str) -> bool {
        let bytes = reason.as_bytes();
        let allowed = |b: &u8| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_';
        bytes.len() >= 3
            && bytes.len() <= 63
            && bytes[0].is_ascii_uppercase()
            && bytes.iter().all(allowed)
            && bytes[bytes.len() - 1] != b'_'
    }

    /// The name of every gRPC status code.
    const CODE_NAMES: &[&str] = &[
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];

    #[test]
    fn every_reason_follows_aip_193() {
        for reason in Reason::ALL {
            assert!(is_aip193_reason(reason.as_str()), "{reason:?}");
        }
        assert!(!is_aip193_reason("lower_case"));
        assert!(!is_aip193_reason("TRAILING_"));
        assert!(!is_aip193_reason(&"A".repeat(64)));
    }

    #[test]
    fn reasons_say_more_than_the_status_code() {
        for reason in Reason::ALL {
            let bare = CODE_NAMES.contains(&reason.as_str());
            assert_eq!(
                bare,
                Reason::BARE_CODE_NAMES.contains(reason),
                "{reason:?} repeats a status code name"
            );
        }
    }

    #[test]
    fn spellings_are_distinct() {
        for (i, a) in Reason::ALL.iter().enumerate() {
            for b in &Reason::ALL[i + 1..] {
                assert_ne!(a.as_str(), b.as_str());
            }
        }
    }
}
