//! A client for switchboard's gRPC API.
//!
//! The four services are tonic's generated clients ([`proto::v1`]), reached through a
//! [`Client`] whose channel adds what every caller needs:
//! - `authorization: Bearer <credential>` (a service key or a team JWT) on every call;
//! - a default deadline, which a call's own `Request::set_timeout` overrides;
//! - retries with backoff for `UNAVAILABLE` only, honouring the server's `RetryInfo`,
//!   made safe by ids filled in before the first attempt: an empty `internal_message_id`
//!   of SendMessage, ReplyToMessage and each batch item, and an unset `request_id` of
//!   ReconnectIntegration, UpdateMessage, DeleteMessage and BatchSendMessages;
//! - typed errors ([`Error`]) decoded from `grpc-status-details-bin`;
//! - streams over every paged listing ([`Client::all_integrations`] and friends);
//! - the event stream, resumed from its last cursor ([`Client::event_stream`]), and a
//!   webhook signature verifier ([`WebhookVerifier`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use switchboard_client::{Client, proto::v1};
//!
//! let client = Client::builder("http://localhost:50051")
//!     .credential("service-key")
//!     .connect()
//!     .await?;
//! let platforms = client
//!     .integrations()
//!     .list_platforms(v1::ListPlatformsRequest::default())
//!     .await?;
//! # Ok(()) }
//! ```

// `Error` is a plain struct so callers can match on its fields (`reconnect: Some(..)`);
// like `tonic::Status` it is larger than clippy likes, and errors are the rare path.
#![allow(clippy::result_large_err)]

mod client;
mod error;
mod events;
mod ids;
mod paging;
mod retry;
mod webhooks;

pub use client::{AuthInterceptor, Client, ClientBuilder, Transport};
pub use error::{Error, FieldViolation};
pub use events::{EVENT_CURSOR_EXPIRED, EventStream, StreamPolicy};
pub use retry::RetryPolicy;
pub use webhooks::{WebhookError, WebhookVerifier};

/// The generated messages and clients of `switchboard.v1`.
pub mod proto {
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/switchboard_protos.rs"));

    pub use switchboard::v1;
}
