//! Retries of `UNAVAILABLE`, under the generated clients: the request is buffered (a unary
//! request is one small message), its ids are filled once (`ids.rs`), and it is sent again
//! with backoff while the server or the connection is unavailable and the deadline allows.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tonic::body::Body;
use tonic_types::StatusExt;
use tower::{BoxError, Service, ServiceExt};

use crate::ids;

/// How `UNAVAILABLE` is retried: `max_attempts` in all, pausing `initial_backoff`, doubling
/// up to `max_backoff`, with jitter; a `RetryInfo` delay from the server is the least pause.
/// Never past the call's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// One attempt: errors reach the caller as they are.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The pause before attempt `attempt + 1` (attempts count from 1): full jitter over
    /// the exponential step, never under the server's hint.
    fn pause(&self, attempt: u32, hint: Option<Duration>) -> Duration {
        let step = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_backoff);
        let jittered = step.mul_f64(0.5 + rand::random::<f64>() / 2.0);
        jittered.max(hint.unwrap_or_default())
    }
}

/// The retry layer (see the module doc).
#[derive(Clone)]
pub struct Retrying<S> {
    inner: S,
    policy: RetryPolicy,
}

impl<S> Retrying<S> {
    pub(crate) fn new(inner: S, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }
}

/// Whether an answer says "try again", and after how long at least.
enum Verdict {
    Done,
    Retry(Option<Duration>),
}

fn verdict<B, E>(result: &Result<http::Response<B>, E>) -> Verdict {
    match result {
        // The connection failed or broke: nothing answered.
        Err(_) => Verdict::Retry(None),
        Ok(response) => match tonic::Status::from_header_map(response.headers()) {
            Some(status) if status.code() == tonic::Code::Unavailable => {
                Verdict::Retry(status.get_details_retry_info().and_then(|r| r.retry_delay))
            }
            _ => Verdict::Done,
        },
    }
}

/// The `grpc-timeout` header as a duration (`<digits><unit>`).
fn grpc_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

impl<S, B> Service<http::Request<Body>> for Retrying<S>
where
    S: Service<http::Request<Body>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    type Response = http::Response<B>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The clone that was made ready goes with this call (tower's usual swap).
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let policy = self.policy;
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let message = body.collect().await?.to_bytes();
            let message = ids::fill(parts.uri.path(), message);
            let deadline = grpc_timeout(&parts.headers).map(|t| Instant::now() + t);
            let mut attempt = 1;
            loop {
                let mut retry = http::Request::builder()
                    .method(parts.method.clone())
                    .uri(parts.uri.clone())
                    .version(parts.version)
                    .body(Body::new(Full::new(Bytes::clone(&message))))?;
                *retry.headers_mut() = parts.headers.clone();
                if let Some(deadline) = deadline {
                    // Later attempts get what is left of the caller's deadline.
                    let left = deadline.saturating_duration_since(Instant::now());
                    let millis = left.as_millis().max(1).to_string() + "m";
                    retry.headers_mut().insert("grpc-timeout", millis.parse()?);
                }
                let result = inner
                    .ready()
                    .await
                    .map_err(Into::into)?
                    .call(retry)
                    .await
                    .map_err(Into::into);
                let hint = match verdict(&result) {
                    Verdict::Done => return result,
                    Verdict::Retry(hint) => hint,
                };
                let pause = policy.pause(attempt, hint);
                let out_of_time = deadline.is_some_and(|d| Instant::now() + pause >= d);
                if attempt >= policy.max_attempts || out_of_time {
                    return result;
                }
                drop(result);
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_to_the_cap_and_honour_the_servers_hint() {
        let policy = RetryPolicy::default();
        for attempt in 1..10 {
            let pause = policy.pause(attempt, None);
            assert!(pause <= policy.max_backoff, "{attempt}: {pause:?}");
        }
        assert!(policy.pause(1, None) <= Duration::from_millis(200));
        let hinted = policy.pause(1, Some(Duration::from_secs(3)));
        assert!(hinted >= Duration::from_secs(3));
    }

    #[test]
    fn grpc_timeouts_parse_in_every_unit() {
        let parse = |v: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert("grpc-timeout", v.parse().unwrap());
            grpc_timeout(&headers)
        };
        assert_eq!(parse("30S"), Some(Duration::from_secs(30)));
        assert_eq!(parse("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse("x"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("99999999999999999999H"), None);
    }
}
