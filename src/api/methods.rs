//! What the server knows of each gRPC method before any service sees the call: the largest
//! request it takes (refused from the message's length prefix, before the body is
//! buffered). Its metric label is `metrics::method_label`.

use std::{
    collections::VecDeque,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use bytes::{Buf, Bytes, BytesMut};
use http_body::Frame;
use http_body_util::BodyExt;
use tonic::{Code, Status, body::Body};
use tonic_types::StatusExt;

use super::Reason;
use crate::domain::{MAX_BLOCKS_JSON_CHARS, MAX_TEXT_CHARS};

/// The largest valid message: 40,000 characters of text and the blocks' most characters,
/// each up to 4 bytes in UTF-8; in protobuf (`google.protobuf.Value`) blocks can take up to
/// 5.5 times their JSON (a number is 2 characters in JSON, 11 bytes in a ListValue).
const LARGEST_MESSAGE_BYTES: usize = 4 * MAX_TEXT_CHARS + MAX_BLOCKS_JSON_CHARS * 11 / 2;
/// A single-message RPC: the largest valid message with room to spare.
pub const MAX_MESSAGE_REQUEST_BYTES: usize = 4 * 1024 * 1024;
/// BatchSendMessages: up to 1,000 items, but 16 MiB in all.
pub const MAX_BATCH_REQUEST_BYTES: usize = 16 * 1024 * 1024;
/// Every other RPC takes ids, names and filters.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

const _: () = assert!(MAX_MESSAGE_REQUEST_BYTES > 2 * LARGEST_MESSAGE_BYTES);
const _: () = assert!(MAX_BATCH_REQUEST_BYTES >= 4 * MAX_MESSAGE_REQUEST_BYTES);

const MESSAGING: &str = "/switchboard.v1.MessagingService/";
const BATCH: &str = "/switchboard.v1.MessagingService/BatchSendMessages";

/// The largest request message `path` takes, in bytes.
pub fn request_limit(path: &str) -> usize {
    if path == BATCH {
        MAX_BATCH_REQUEST_BYTES
    } else if path.starts_with(MESSAGING) {
        MAX_MESSAGE_REQUEST_BYTES
    } else {
        MAX_REQUEST_BYTES
    }
}

fn too_large(size: usize, limit: usize) -> Status {
    let metadata = [
        ("size_bytes", size.to_string()),
        ("limit_bytes", limit.to_string()),
    ];
    Status::with_error_details(
        Code::ResourceExhausted,
        format!("the request is {size} bytes; this method takes at most {limit}"),
        Reason::RequestTooLarge.details(&metadata),
    )
}

/// Refuses a request whose first message is longer than its method takes, reading only the
/// 5-byte gRPC frame header (compressed flag, big-endian length) before the service runs.
#[derive(Clone, Copy, Default)]
pub struct RequestLimitLayer;

impl<S> tower::Layer<S> for RequestLimitLayer {
    type Service = RequestLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestLimit { inner }
    }
}

#[derive(Clone)]
pub struct RequestLimit<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, R> tower::Service<http::Request<Body>> for RequestLimit<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    R: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The ready service serves this call; a fresh clone waits for the next one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let limit = request_limit(request.uri().path());
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let (seen, body) = peek_length(body).await;
            if let Some(length) = seen
                && length > limit
            {
                return Ok(too_large(length, limit).into_http());
            }
            inner.call(http::Request::from_parts(parts, body)).await
        })
    }
}

/// The length of the body's first gRPC message, and the body as it was.
async fn peek_length(mut body: Body) -> (Option<usize>, Body) {
    let mut read = VecDeque::new();
    let mut head = BytesMut::new();
    while head.len() < 5 {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    head.extend_from_slice(data);
                }
                read.push_back(frame);
            }
            // An error or the end: the service reports it as it would have.
            Some(Err(err)) => {
                let rest = Err(Some(err));
                return (None, Body::new(Replayed { read, rest }));
            }
            None => break,
        }
    }
    let length = (head.len() >= 5).then(|| {
        let mut header = &head[1..5];
        header.get_u32() as usize
    });
    (
        length,
        Body::new(Replayed {
            read,
            rest: Ok(body),
        }),
    )
}

/// The frames already read, then the rest of the body (or the error that ended it).
struct Replayed {
    read: VecDeque<Frame<Bytes>>,
    rest: Result<Body, Option<Status>>,
}

impl http_body::Body for Replayed {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if let Some(frame) = self.read.pop_front() {
            return Poll::Ready(Some(Ok(frame)));
        }
        match &mut self.rest {
            Ok(body) => Pin::new(body).poll_frame(cx),
            Err(err) => Poll::Ready(err.take().map(Err)),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.read.is_empty()
            && match &self.rest {
                Ok(body) => body.is_end_stream(),
                Err(err) => err.is_none(),
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_method() {
        assert_eq!(request_limit(BATCH), MAX_BATCH_REQUEST_BYTES);
        assert_eq!(
            request_limit("/switchboard.v1.MessagingService/UpdateMessage"),
            MAX_MESSAGE_REQUEST_BYTES
        );
        assert_eq!(
            request_limit("/switchboard.v1.IntegrationService/GetIntegration"),
            MAX_REQUEST_BYTES
        );
    }
}
