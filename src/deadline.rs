//! One deadline per call. A tower layer sets it from the caller's `grpc-timeout` and the
//! server's request limit; the store's retries, Slack calls and waits read it, so a call
//! answers (UNAVAILABLE with RetryInfo, or what it has) before the transport cuts it off.
//! Work outside a call (the delivery workers, the sweeps, tasks spawned to outlive their
//! caller) has no deadline.

use std::{
    future::Future,
    task::{Context, Poll},
    time::Duration,
};

use tokio::{task::futures::TaskLocalFuture, time::Instant};

tokio::task_local! {
    static DEADLINE: Instant;
}

/// The most kept back from a call's time limit for the answer to travel to the caller.
const ANSWER_MARGIN: Duration = Duration::from_millis(500);

/// The instant the current call must have its answer ready by, if it is a call.
pub fn current() -> Option<Instant> {
    DEADLINE.try_with(|at| *at).ok()
}

/// Whether `wait` still ends before the current call's deadline (always, outside a call).
pub fn allows(wait: Duration) -> bool {
    current().is_none_or(|at| Instant::now() + wait < at)
}

/// Time left before the current call's deadline, if it is a call.
pub fn remaining() -> Option<Duration> {
    current().map(|at| at.saturating_duration_since(Instant::now()))
}

/// A limit past any call's lifetime, for settings too large to add to a clock.
const NO_LIMIT: Duration = Duration::from_secs(365 * 24 * 3600);

/// Runs `work` with `limit` from now as its deadline (less the answer's margin).
pub fn scope<F: Future>(limit: Duration, work: F) -> TaskLocalFuture<Instant, F> {
    let margin = ANSWER_MARGIN.min(limit / 4);
    let now = Instant::now();
    let at = now
        .checked_add(limit - margin)
        .unwrap_or_else(|| now + NO_LIMIT);
    DEADLINE.scope(at, work)
}

/// Runs `work`, giving up at the current call's deadline: `None` when it came first.
pub async fn within<F: Future>(work: F) -> Option<F::Output> {
    match current() {
        Some(at) => tokio::time::timeout_at(at, work).await.ok(),
        None => Some(work.await),
    }
}

/// Sets each gRPC call's deadline: the shorter of the caller's `grpc-timeout` and the
/// server's limit, as tonic's own timeout computes it.
#[derive(Clone, Copy)]
pub struct DeadlineLayer {
    server_limit: Duration,
}

impl DeadlineLayer {
    pub fn new(server_limit: Duration) -> Self {
        Self { server_limit }
    }
}

impl<S> tower::Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadline {
            inner,
            server_limit: self.server_limit,
        }
    }
}

#[derive(Clone)]
pub struct Deadline<S> {
    inner: S,
    server_limit: Duration,
}

impl<S, B> tower::Service<http::Request<B>> for Deadline<S>
where
    S: tower::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = TaskLocalFuture<Instant, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The gRPC spec allows at most 8 digits and a unit: nothing longer is read.
        let limit = request
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .filter(|raw| raw.len() <= 9)
            .and_then(parse_grpc_timeout)
            .map_or(self.server_limit, |asked| asked.min(self.server_limit));
        scope(limit, self.inner.call(request))
    }
}

/// gRPC's `grpc-timeout` header: at most 8 digits and a unit (H, M, S, m, u, n).
fn parse_grpc_timeout(raw: &str) -> Option<Duration> {
    let (digits, unit) = raw.split_at_checked(raw.len().checked_sub(1)?)?;
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scope_sets_the_deadline_and_keeps_a_margin() {
        assert_eq!(current(), None, "no call, no deadline");
        assert!(allows(Duration::from_secs(3600)));
        let left = scope(Duration::from_secs(10), async { remaining() })
            .await
            .expect("a deadline inside the scope");
        assert!(left <= Duration::from_millis(9_500), "{left:?}");
        assert!(left > Duration::from_secs(9), "{left:?}");
    }

    #[tokio::test]
    async fn the_layer_takes_the_shorter_of_grpc_timeout_and_the_server_limit() {
        use tower::{Layer, Service, ServiceExt};
        let inner = tower::service_fn(|_: http::Request<()>| async {
            Ok::<_, std::convert::Infallible>(remaining().expect("a deadline"))
        });
        let mut service = DeadlineLayer::new(Duration::from_secs(30)).layer(inner);
        for (asked, at_most, more_than) in [
            (Some("2S"), 1_500, 1_000),
            (None, 29_500, 29_000),
            (Some("5M"), 29_500, 29_000),
            // Longer than the spec allows: ignored, not overflowed.
            (Some("99999999999999999999H"), 29_500, 29_000),
        ] {
            let mut request = http::Request::builder();
            if let Some(asked) = asked {
                request = request.header("grpc-timeout", asked);
            }
            let left = service
                .ready()
                .await
                .unwrap()
                .call(request.body(()).unwrap())
                .await
                .unwrap();
            assert!(
                left <= Duration::from_millis(at_most),
                "{asked:?}: {left:?}"
            );
            assert!(
                left > Duration::from_millis(more_than),
                "{asked:?}: {left:?}"
            );
        }
    }

    #[tokio::test]
    async fn work_past_the_deadline_is_cut_off() {
        let cut = scope(Duration::from_millis(40), async {
            (
                within(std::future::pending::<()>()).await,
                allows(Duration::from_secs(1)),
            )
        })
        .await;
        assert_eq!(cut, (None, false));
    }

    #[test]
    fn grpc_timeouts_parse() {
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse_grpc_timeout("x"), None);
        assert_eq!(parse_grpc_timeout(""), None);
        // The caller's number: no overflow, no panic, whatever it is.
        assert_eq!(
            parse_grpc_timeout("99999999H"),
            Some(Duration::from_secs(99_999_999 * 3600))
        );
        for hostile in [
            "18446744073709551615H",
            "999999999S",
            "+5S",
            "-5S",
            "5é",
            "é",
        ] {
            assert_eq!(parse_grpc_timeout(hostile), None, "{hostile}");
        }
    }
}
