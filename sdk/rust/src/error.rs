//! Typed errors: a `tonic::Status` with its `google.rpc` details decoded, so a caller
//! branches on the contract's reasons and acts on `ReconnectDetails` in two lines.

use std::time::Duration;

use prost::Message;
use tonic::Code;
use tonic_types::StatusExt;

use crate::proto::v1::ReconnectDetails;

const RECONNECT_DETAILS: &str = "type.googleapis.com/switchboard.v1.ReconnectDetails";

/// One bad field of a request (`google.rpc.BadRequest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

/// A failed call, as switchboard explains it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct Error {
    pub code: Code,
    pub message: String,
    /// `ErrorInfo.reason`, e.g. `INTEGRATION_ALREADY_EXISTS` (empty when absent).
    pub reason: String,
    /// `ErrorInfo.domain` (`switchboard`).
    pub domain: String,
    pub metadata: std::collections::HashMap<String, String>,
    pub field_violations: Vec<FieldViolation>,
    /// `RetryInfo`: how long to wait before trying again.
    pub retry_delay: Option<Duration>,
    /// On `ALREADY_EXISTS` from CompleteSlackOAuth: the existing integration and a token
    /// that applies the fresh install to it (`ReconnectIntegration`).
    pub reconnect: Option<ReconnectDetails>,
}

impl From<tonic::Status> for Error {
    fn from(status: tonic::Status) -> Self {
        let details = status.get_error_details();
        let info = details.error_info();
        let reconnect = tonic_types::pb::Status::decode(status.details())
            .ok()
            .and_then(|raw| {
                raw.details
                    .into_iter()
                    .find(|any| any.type_url == RECONNECT_DETAILS)
            })
            .and_then(|any| ReconnectDetails::decode(any.value.as_slice()).ok());
        Self {
            code: status.code(),
            message: status.message().to_owned(),
            reason: info.map(|i| i.reason.clone()).unwrap_or_default(),
            domain: info.map(|i| i.domain.clone()).unwrap_or_default(),
            metadata: info.map(|i| i.metadata.clone()).unwrap_or_default(),
            field_violations: details
                .bad_request()
                .map(|b| {
                    b.field_violations
                        .iter()
                        .map(|v| FieldViolation {
                            field: v.field.clone(),
                            description: v.description.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            retry_delay: details.retry_info().and_then(|r| r.retry_delay),
            reconnect,
        }
    }
}

impl Error {
    pub(crate) fn transport(err: impl std::fmt::Display) -> Self {
        Self::local(Code::Unavailable, err.to_string())
    }

    pub(crate) fn invalid_credential() -> Self {
        Self::local(
            Code::InvalidArgument,
            "the credential is not valid header text".into(),
        )
    }

    fn local(code: Code, message: String) -> Self {
        Self {
            code,
            message,
            reason: String::new(),
            domain: String::new(),
            metadata: Default::default(),
            field_violations: Vec::new(),
            retry_delay: None,
            reconnect: None,
        }
    }
}
