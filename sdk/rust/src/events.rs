//! Following the event log: StreamEvents, resumed from the last cursor when it drops.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use futures_util::Stream;
use tonic::{Code, Streaming};

use crate::{
    Client, Error,
    proto::v1::{self, event_service_client::EventServiceClient},
};

/// OUT_OF_RANGE's reason when the cursor is older than the retained log: resuming from it
/// would skip events, so the stream ends with it instead.
pub const EVENT_CURSOR_EXPIRED: &str = "EVENT_CURSOR_EXPIRED";

/// How long one StreamEvents call may run: the stream follows until it is dropped, and
/// a deadline, if the service enforced one, would only make it reconnect.
const STREAM_DEADLINE: Duration = Duration::from_secs(24 * 3600);

/// How an [`EventStream`] reconnects after the stream dropped.
#[derive(Debug, Clone, Copy)]
pub struct StreamPolicy {
    /// The pause before the first reconnect in a row; each later one doubles, up to
    /// `max_backoff`, with jitter. An event received resets it.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Reconnects in a row that may fail before the stream ends with the last error;
    /// 0 never gives up.
    pub max_failures: u32,
}

impl Default for StreamPolicy {
    /// Pauses of about 200 ms doubling to 5 s, never giving up.
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_failures: 0,
        }
    }
}

/// A handle on a followed stream's position: [`EventStream::cursor`] is the cursor of the
/// last event yielded (or the starting one), to resume from in a later run.
#[derive(Clone)]
pub struct EventStream {
    cursor: Arc<Mutex<String>>,
}

impl EventStream {
    pub fn cursor(&self) -> String {
        self.cursor.lock().expect("cursor lock").clone()
    }
}

/// A dropped connection or a restarting service. The other codes say something about the
/// request (a bad or expired cursor, another team, no credential) that a retry would not
/// change.
fn reconnectable(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable
            | Code::Internal
            | Code::Unknown
            | Code::Aborted
            | Code::Cancelled
            | Code::ResourceExhausted
            | Code::DeadlineExceeded
    )
}

struct Follower {
    events: EventServiceClient<crate::Transport>,
    request: v1::StreamEventsRequest,
    cursor: Arc<Mutex<String>>,
    policy: StreamPolicy,
    current: Option<Streaming<v1::Event>>,
    backoff: Duration,
    failures: u32,
    ended: bool,
}

impl Follower {
    /// The next event, reconnecting as needed; `Err` ends the stream.
    async fn next(&mut self) -> Result<v1::Event, Error> {
        loop {
            let status = match self.current.as_mut() {
                None => {
                    let mut request = self.request.clone();
                    request.after = self.cursor.lock().expect("cursor lock").clone();
                    let mut request = tonic::Request::new(request);
                    request.set_timeout(STREAM_DEADLINE);
                    match self.events.stream_events(request).await {
                        Ok(response) => {
                            self.current = Some(response.into_inner());
                            continue;
                        }
                        Err(status) => status,
                    }
                }
                Some(stream) => match stream.message().await {
                    Ok(Some(event)) => {
                        self.backoff = self.policy.initial_backoff;
                        self.failures = 0;
                        *self.cursor.lock().expect("cursor lock") = event.cursor.clone();
                        return Ok(event);
                    }
                    // The service ended a stream that follows forever (a shutdown): resume.
                    Ok(None) => tonic::Status::unavailable("event stream ended by the service"),
                    Err(status) => status,
                },
            };
            self.current = None;
            self.failures += 1;
            let exhausted =
                self.policy.max_failures > 0 && self.failures > self.policy.max_failures;
            if !reconnectable(status.code()) || exhausted {
                return Err(Error::from(status));
            }
            let pause = self.backoff.mul_f64(0.5 + rand::random::<f64>() / 2.0);
            tokio::time::sleep(pause).await;
            self.backoff = (self.backoff * 2).min(self.policy.max_backoff);
        }
    }
}

impl Client {
    /// The EventService client.
    pub fn events(&self) -> EventServiceClient<crate::Transport> {
        EventServiceClient::new(self.transport.clone())
    }

    /// Follows the events of `request` (team, types, starting cursor `after`) across
    /// dropped connections: the stream yields them in log order and, when the call drops
    /// (UNAVAILABLE, a reset connection, a restarting service), reconnects with backoff
    /// passing `after` = the last event's cursor, so nothing is missed or repeated. It
    /// ends with the first error a retry cannot cure (INVALID_ARGUMENT, PERMISSION_DENIED,
    /// UNAUTHENTICATED, UNIMPLEMENTED, OUT_OF_RANGE with reason [`EVENT_CURSOR_EXPIRED`]).
    pub fn event_stream(
        &self,
        request: v1::StreamEventsRequest,
        policy: StreamPolicy,
    ) -> (
        EventStream,
        impl Stream<Item = Result<v1::Event, Error>> + use<>,
    ) {
        let cursor = Arc::new(Mutex::new(request.after.clone()));
        let follower = Follower {
            events: self.events(),
            request,
            cursor: cursor.clone(),
            policy,
            current: None,
            backoff: policy.initial_backoff,
            failures: 0,
            ended: false,
        };
        let stream = futures_util::stream::unfold(follower, |mut follower| async move {
            if follower.ended {
                return None;
            }
            let next = follower.next().await;
            follower.ended = next.is_err();
            Some((next, follower))
        });
        (EventStream { cursor }, stream)
    }
}
