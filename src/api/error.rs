//! The one mapping from core outcomes to gRPC statuses with their rich details.

use prost::Message;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::Reason;
use super::convert::{integration_to_proto, timestamp};
use crate::{
    core::{CauseChain, CoreError, Dependency, Resource},
    domain::FieldViolation,
    proto::v1,
};

/// `google.rpc.ErrorInfo.domain` of every error this service returns.
pub const ERROR_DOMAIN: &str = "switchboard";

fn not_found_reason(resource: Resource) -> Reason {
    match resource {
        Resource::Integration => Reason::IntegrationNotFound,
        Resource::Delivery => Reason::DeliveryNotFound,
        Resource::WebhookSubscription => Reason::WebhookSubscriptionNotFound,
    }
}

fn unavailable_reason(dependency: Dependency) -> Reason {
    match dependency {
        Dependency::Database => Reason::DatabaseUnavailable,
        Dependency::Slack => Reason::SlackUnavailable,
    }
}

fn status(code: Code, message: impl Into<String>, details: ErrorDetails) -> Status {
    Status::with_error_details(code, message, details)
}

impl From<CoreError> for Status {
    fn from(err: CoreError) -> Self {
        match err {
            CoreError::InvalidArgument(violations) => invalid_argument(violations),
            CoreError::EventCursorExpired => status(
                Code::OutOfRange,
                "events after this cursor were removed by retention; list from the start again",
                Reason::EventCursorExpired.details(&[]),
            ),
            CoreError::SlackOAuthCodeInvalid => {
                let mut details = Reason::SlackOAuthCodeInvalid.details(&[]);
                details.add_bad_request_violation("code", "Slack refused the code (invalid_code)");
                status(
                    Code::InvalidArgument,
                    "Slack refused the authorization code",
                    details,
                )
            }
            CoreError::SlackRejected { code } => status(
                Code::FailedPrecondition,
                format!("Slack refused the request: {code}"),
                Reason::SlackApiError.details(&[("slack_error", code)]),
            ),
            CoreError::OAuthStateInvalid => status(
                Code::FailedPrecondition,
                "the OAuth state is unknown, already used or expired; start the install again",
                Reason::OAuthStateInvalid.details(&[]),
            ),
            CoreError::ReconnectTokenInvalid => status(
                Code::FailedPrecondition,
                "the reconnect token is unknown, already used or expired",
                Reason::ReconnectTokenInvalid.details(&[]),
            ),
            CoreError::WorkspaceMismatch {
                integration_id,
                expected,
                actual,
            } => status(
                Code::FailedPrecondition,
                format!("the integration is for workspace {expected}, but {actual} was authorised"),
                Reason::WorkspaceMismatch.details(&[
                    ("integration_id", integration_id.to_string()),
                    ("expected_workspace_id", expected),
                    ("workspace_id", actual),
                ]),
            ),
            CoreError::IntegrationAlreadyExists(duplicate) => {
                let existing = &duplicate.existing;
                let base = status(
                    Code::AlreadyExists,
                    "the team already has an integration for this workspace; \
                     ReconnectIntegration with the reconnect token applies the new tokens",
                    Reason::IntegrationAlreadyExists.details(&[
                        ("integration_id", existing.id.to_string()),
                        ("team_id", existing.team_id.to_string()),
                        ("workspace_id", existing.workspace_id.to_string()),
                    ]),
                );
                let detail = v1::ReconnectDetails {
                    existing_integration: Some(integration_to_proto(existing)),
                    reconnect_token: secrecy::ExposeSecret::expose_secret(
                        &duplicate.reconnect_token,
                    )
                    .to_owned(),
                    reconnect_token_expire_time: Some(timestamp(
                        duplicate.reconnect_token_expire_time,
                    )),
                };
                with_extra_detail(
                    base,
                    "switchboard.v1.ReconnectDetails",
                    detail.encode_to_vec(),
                )
            }
            CoreError::IntegrationNotActive { status: current } => status(
                Code::FailedPrecondition,
                format!("the integration is not active ({current:?})"),
                Reason::IntegrationNotActive
                    .details(&[("status", format!("{current:?}").to_uppercase())]),
            ),
            CoreError::ChannelNotFound { channel_id } => status(
                Code::NotFound,
                format!("Slack has no channel {channel_id} in this workspace"),
                Reason::ChannelNotFound.details(&[("channel_id", channel_id.to_string())]),
            ),
            CoreError::ChannelArchived { channel_id } => status(
                Code::FailedPrecondition,
                format!("channel {channel_id} is archived"),
                Reason::ChannelArchived.details(&[("channel_id", channel_id.to_string())]),
            ),
            CoreError::ChannelNotPublic { channel_id } => status(
                Code::FailedPrecondition,
                format!("channel {channel_id} is not a public channel"),
                Reason::ChannelNotPublic.details(&[("channel_id", channel_id.to_string())]),
            ),
            CoreError::NotificationChannelNotSet => status(
                Code::NotFound,
                "the integration has no notification channel",
                Reason::NotificationChannelNotSet.details(&[]),
            ),
            CoreError::NoNotificationChannel => status(
                Code::FailedPrecondition,
                "the integration has no notification channel; SetNotificationChannel first",
                Reason::NotificationChannelNotSet.details(&[]),
            ),
            CoreError::NotificationChannelUnavailable { state } => status(
                Code::FailedPrecondition,
                format!("the notification channel is {}", state.as_str()),
                Reason::NotificationChannelUnavailable
                    .details(&[("state", state.as_str().to_uppercase())]),
            ),
            CoreError::MessageAlreadyExists { delivery_id } => status(
                Code::AlreadyExists,
                "a different message was already sent with this internal_message_id",
                Reason::MessageAlreadyExists.details(&[("delivery_id", delivery_id)]),
            ),
            CoreError::MessageNotFound {
                internal_message_id,
            } => status(
                Code::NotFound,
                format!("no message {internal_message_id} was sent through this integration"),
                Reason::MessageNotFound.details(&[("internal_message_id", internal_message_id)]),
            ),
            CoreError::MessageNotDelivered {
                internal_message_id,
            } => status(
                Code::FailedPrecondition,
                format!("message {internal_message_id} has not reached Slack"),
                Reason::MessageNotDelivered
                    .details(&[("internal_message_id", internal_message_id)]),
            ),
            CoreError::RequestIdReused { request_id } => status(
                Code::AlreadyExists,
                "this request_id was already used for a different request",
                Reason::RequestIdAlreadyUsed.details(&[("request_id", request_id)]),
            ),
            CoreError::NotAttempted { retry_after } => {
                let mut details = Reason::NotAttempted.details(&[]);
                details.set_retry_info(Some(retry_after));
                status(
                    Code::Unavailable,
                    "not attempted before the call's deadline; send it again",
                    details,
                )
            }
            CoreError::NotFound { resource, id } => status(
                Code::NotFound,
                format!("{resource} {id} not found"),
                not_found_reason(resource).details(&[]),
            ),
            CoreError::PermissionDenied => status(
                Code::PermissionDenied,
                "the caller may not access this resource, or it does not exist",
                Reason::PermissionDenied.details(&[]),
            ),
            CoreError::Unavailable {
                dependency,
                retry_after,
            } => {
                let mut details = unavailable_reason(dependency).details(&[]);
                details.set_retry_info(Some(retry_after));
                status(
                    Code::Unavailable,
                    format!("{dependency} is unavailable; retry later"),
                    details,
                )
            }
            CoreError::Internal(source) => {
                tracing::error!(error = %CauseChain(&*source), cause = ?source, "internal error");
                status(
                    Code::Internal,
                    "internal error",
                    Reason::Internal.details(&[]),
                )
            }
        }
    }
}

/// Most field violations one answer reports; the rest are only counted, so a request with
/// thousands of bad fields still gets an answer of a few kilobytes.
pub const MAX_REPORTED_VIOLATIONS: usize = 50;
/// Field paths can carry a caller's text (a template variable's name): cut to this.
const MAX_FIELD_CHARS: usize = 200;

fn invalid_argument(violations: Vec<FieldViolation>) -> Status {
    let total = violations.len();
    let mut details = Reason::InvalidArgument.details(&[("violation_count", total.to_string())]);
    let mut message = Vec::with_capacity(total.min(MAX_REPORTED_VIOLATIONS) + 1);
    for v in violations.into_iter().take(MAX_REPORTED_VIOLATIONS) {
        let field = truncated(v.field, MAX_FIELD_CHARS);
        message.push(format!("{field}: {}", v.description));
        details.add_bad_request_violation(field, v.description);
    }
    if total > MAX_REPORTED_VIOLATIONS {
        message.push(format!("and {} more", total - MAX_REPORTED_VIOLATIONS));
    }
    status(Code::InvalidArgument, message.join("; "), details)
}

fn truncated(mut text: String, max_chars: usize) -> String {
    if let Some((cut, _)) = text.char_indices().nth(max_chars) {
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// Appends a detail of our own (tonic-types only builds the standard ones).
fn with_extra_detail(base: Status, type_name: &str, value: Vec<u8>) -> Status {
    let mut rpc_status = tonic_types::pb::Status::decode(base.details()).unwrap_or_default();
    rpc_status.details.push(prost_types::Any {
        type_url: format!("type.googleapis.com/{type_name}"),
        value,
    });
    Status::with_details(
        base.code(),
        base.message(),
        rpc_status.encode_to_vec().into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_are_capped_and_counted() {
        let many = (0..10_000)
            .map(|i| FieldViolation::new(format!("message.blocks[{i}]"), "is bad"))
            .collect();
        let status = Status::from(CoreError::InvalidArgument(many));
        let details = status.get_error_details();
        let reported = &details.bad_request().unwrap().field_violations;
        assert_eq!(reported.len(), MAX_REPORTED_VIOLATIONS);
        assert_eq!(
            details.error_info().unwrap().metadata["violation_count"],
            "10000"
        );
        assert!(status.message().ends_with("and 9950 more"));
        assert!(status.details().len() + status.message().len() < 8 * 1024);
    }

    #[test]
    fn long_field_names_are_cut() {
        let name = format!("message.template.variables.{}", "x".repeat(100_000));
        let status = Status::from(CoreError::invalid(FieldViolation::new(name, "is unknown")));
        let details = status.get_error_details();
        let field = &details.bad_request().unwrap().field_violations[0].field;
        assert_eq!(field.chars().count(), MAX_FIELD_CHARS + 1);
        assert!(status.message().len() < 1024);
    }
}
