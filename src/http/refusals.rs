//! Refused requests on the internet-facing port are logged, but at most one line a second:
//! whoever sends a flood of bad requests gets a count in the next line, not a flood of logs.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

const LOG_EVERY: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct RefusalLog {
    /// When the last line was written, and how many refusals were not logged since.
    state: Mutex<(Option<Instant>, u64)>,
}

impl RefusalLog {
    /// Logs the refusal (unless one was logged within the second) and answers it.
    pub fn refuse(&self, status: StatusCode, reason: impl std::fmt::Display) -> Response {
        self.note(status, &reason);
        (status, reason.to_string()).into_response()
    }

    pub fn note(&self, status: StatusCode, reason: &dyn std::fmt::Display) {
        if let Some(unlogged) = self.admit(Instant::now()) {
            tracing::warn!(
                status = status.as_u16(),
                %reason,
                unlogged_refusals = unlogged,
                "refused an HTTP request"
            );
        }
    }

    /// `Some(refusals not logged since the last line)` when this one is to be logged.
    fn admit(&self, now: Instant) -> Option<u64> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (last, unlogged) = &mut *state;
        if last.is_some_and(|at| now.saturating_duration_since(at) < LOG_EVERY) {
            *unlogged += 1;
            return None;
        }
        *last = Some(now);
        Some(std::mem::take(unlogged))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_one_line_a_second_with_a_count() {
        let log = RefusalLog::default();
        let start = Instant::now();
        assert_eq!(log.admit(start), Some(0));
        let logged = (0..10_000)
            .filter(|i| log.admit(start + Duration::from_micros(*i)).is_some())
            .count();
        assert_eq!(logged, 0);
        assert_eq!(log.admit(start + LOG_EVERY), Some(10_000));
        assert_eq!(log.admit(start + LOG_EVERY), None);
        assert_eq!(log.admit(start + LOG_EVERY * 3), Some(1));
    }
}
