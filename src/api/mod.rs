//! gRPC transport: authenticate, turn requests into domain values, call the core, turn the
//! answer back. No SQL and no Slack calls here.

mod auth;
mod channel_service;
pub(crate) mod codec;
mod convert;
mod error;
mod event_json;
mod event_service;
mod integration_service;
mod messages;
mod messaging_service;
mod methods;
mod monitoring_service;
mod reason;
mod webhook_subscriptions;

pub use auth::Authenticator;
pub use channel_service::ChannelApi;
pub use error::ERROR_DOMAIN;
pub use event_json::event_json;
pub use event_service::{EventApi, event_to_proto};
pub use integration_service::IntegrationApi;
pub use messaging_service::MessagingApi;
pub use methods::{
    MAX_BATCH_REQUEST_BYTES, MAX_MESSAGE_REQUEST_BYTES, MAX_REQUEST_BYTES, RequestLimitLayer,
};
pub use monitoring_service::MonitoringApi;
pub use reason::Reason;

use tonic::{Request, Status};

use crate::domain::{Caller, FieldViolation};

/// The caller the authenticator attached to this request.
fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| Status::internal("request reached a service without authentication"))
}

/// A field that may be left empty: `None` when it is, else what `parse` makes of it.
fn optional<T>(
    field: &str,
    raw: &str,
    parse: impl FnOnce(&str, &str) -> Result<T, FieldViolation>,
) -> Result<Option<T>, FieldViolation> {
    if raw.is_empty() {
        Ok(None)
    } else {
        parse(field, raw).map(Some)
    }
}

/// A field that parsed to nothing without reporting a violation: a bug of ours, answered
/// as INTERNAL (and logged) rather than with a panic.
fn unparsed<E: From<crate::core::CoreError>>() -> E {
    crate::core::CoreError::Internal("a request field failed to parse without a violation".into())
        .into()
}

/// Collects every bad field of a request before answering, so callers fix them in one go.
#[derive(Default)]
struct Violations(Vec<FieldViolation>);

impl Violations {
    fn check<T>(&mut self, result: Result<T, FieldViolation>) -> Option<T> {
        result.map_err(|v| self.0.push(v)).ok()
    }

    fn add(&mut self, field: &str, description: &str) {
        self.0.push(FieldViolation::new(field, description));
    }

    fn into_result(self) -> Result<(), Status> {
        Ok(self.into_core()?)
    }

    fn into_core(self) -> Result<(), crate::core::CoreError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::core::CoreError::InvalidArgument(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_parsed_to_nothing_is_internal_not_a_panic() {
        let status: Status = unparsed();
        assert_eq!(status.code(), tonic::Code::Internal);
        let reason = tonic_types::StatusExt::get_error_details(&status)
            .error_info()
            .map(|info| info.reason.clone());
        assert_eq!(reason.as_deref(), Some(Reason::Internal.as_str()));
    }
}
