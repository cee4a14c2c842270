//! BatchSendMessages: every item is queued first, then those that asked are waited on,
//! all within the one deadline of the call. An outage or the deadline stops the batch: the
//! items not tried say so.

use std::time::{Duration, Instant};

use super::{Core, CoreError, SendRequest};
use crate::domain::{Caller, Delivery};

/// An item is not started with less than this left before the deadline: its answer would
/// not make it back.
const ITEM_RESERVE: Duration = Duration::from_millis(100);
/// Retry hint for items left untried because the deadline came.
const RETRY_UNTRIED: Duration = Duration::from_secs(1);

/// A batch as the core takes it: each item parsed (or why not), in order.
pub struct BatchRequest {
    pub items: Vec<Result<SendRequest, CoreError>>,
}

impl Core {
    pub async fn send_batch(
        &self,
        caller: &Caller,
        batch: BatchRequest,
    ) -> Result<Vec<Result<Delivery, CoreError>>, CoreError> {
        // Set once the database is found down, or the deadline near: the rest wait.
        let mut halted: Option<Duration> = None;
        let mut results = Vec::with_capacity(batch.items.len());
        let mut waits: Vec<(usize, Instant)> = Vec::new();
        for (index, item) in batch.items.into_iter().enumerate() {
            let mut send = match item {
                Ok(send) => send,
                Err(invalid) => {
                    results.push(Err(invalid));
                    continue;
                }
            };
            if halted.is_none() && !crate::deadline::allows(ITEM_RESERVE) {
                halted = Some(RETRY_UNTRIED);
            }
            if let Some(retry_after) = halted {
                results.push(Err(CoreError::NotAttempted { retry_after }));
                continue;
            }
            // Queue now, wait later: one item's wait must not hold back the next.
            let wait_until = send.wait_until.take();
            let outcome = self.send_message(caller, send).await;
            match (&outcome, wait_until) {
                (Err(CoreError::Unavailable { retry_after, .. }), _) => {
                    halted = Some(*retry_after);
                }
                (Ok(_), Some(until)) => waits.push((index, until)),
                _ => {}
            }
            results.push(outcome);
        }
        for (index, until) in waits {
            if let Some(Ok(delivery)) = results.get_mut(index) {
                *delivery = self.maybe_wait(delivery.clone(), Some(until)).await;
            }
        }
        Ok(results)
    }
}
