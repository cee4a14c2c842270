//! BatchSendMessages: every item is queued first, then those that asked are waited on,
//! all within the one deadline of the call. An outage or the deadline stops the batch: the
//! items not tried say so, and a repeat of the batch (same `request_id`) tries them without
//! queueing again the ones that went through.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    Core, CoreError, SendRequest,
    messaging::{payload_of, post_of},
    requests::request_key,
};
use crate::{
    domain::{Caller, Delivery, InternalMessageId, RequestId},
    store::{Enqueued, Seen},
};

/// An item is not started with less than this left before the deadline: its answer would
/// not make it back.
const ITEM_RESERVE: Duration = Duration::from_millis(100);
/// Retry hint for items left untried because the deadline came.
const RETRY_UNTRIED: Duration = Duration::from_secs(1);

/// A batch as the core takes it: each item parsed (or why not), in order.
pub struct BatchRequest {
    pub items: Vec<Result<SendRequest, CoreError>>,
    /// With the digest of the whole request, which a repeat must match.
    pub request_id: Option<(RequestId, Vec<u8>)>,
}

/// The message id of an item sent without one, under a request id: the same item of a
/// repeated batch gets the same id, so it is not queued twice.
fn derived_message_id(scope: &str, request_id: &RequestId, index: usize) -> InternalMessageId {
    let mut digest = Sha256::new();
    for part in [scope, "BatchSendMessages", request_id.as_str()] {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part);
    }
    digest.update((index as u64).to_be_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.finalize()[..16]);
    InternalMessageId::from_uuid(Uuid::from_bytes(bytes))
}

impl Core {
    #[tracing::instrument(name = "core.send_batch", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
    ))]
    pub async fn send_batch(
        &self,
        caller: &Caller,
        batch: BatchRequest,
    ) -> Result<Vec<Result<Delivery, CoreError>>, CoreError> {
        // Set once the database is found down, or the deadline near: the rest wait.
        let mut halted: Option<Duration> = None;
        if let Some((request_id, fingerprint)) = &batch.request_id {
            let key = request_key(
                caller,
                "BatchSendMessages",
                request_id,
                &[fingerprint.as_slice()],
            );
            match self
                .store
                .take_request_id(&key)
                .await
                .map_err(CoreError::from)
            {
                Ok(Seen::Reused) => {
                    return Err(CoreError::RequestIdReused {
                        request_id: request_id.as_str().to_owned(),
                    });
                }
                Ok(Seen::New | Seen::Repeat(_)) => {}
                // Nothing can be recorded, so nothing is tried: each item says so.
                Err(CoreError::Unavailable { retry_after, .. }) => halted = Some(retry_after),
                Err(other) => return Err(other),
            }
        }
        let scope = caller.team().map(|t| t.to_string()).unwrap_or_default();
        let mut items = batch.items;
        for (index, item) in items.iter_mut().enumerate() {
            if let Ok(send) = item
                && send.internal_message_id.is_none()
            {
                send.internal_message_id = Some(match &batch.request_id {
                    Some((request_id, _)) => derived_message_id(&scope, request_id, index),
                    None => InternalMessageId::generate(),
                });
            }
        }
        // The database found down while queueing them together is the first item's answer,
        // as it would have been one by one; the rest wait.
        let mut down: Option<CoreError> = None;
        let mut queued = if halted.is_none() && crate::deadline::allows(ITEM_RESERVE) {
            match self.queue_posts_together(caller, &items).await {
                Ok(queued) => queued,
                Err(err) => {
                    down = Some(err);
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        queued.resize_with(items.len(), || None);
        let mut results = Vec::with_capacity(items.len());
        let mut waits: Vec<(usize, Instant)> = Vec::new();
        for ((index, item), queued) in items.into_iter().enumerate().zip(queued) {
            let mut send = match item {
                Ok(send) => send,
                Err(invalid) => {
                    results.push(Err(invalid));
                    continue;
                }
            };
            if let Some(down) = down.take() {
                if let CoreError::Unavailable { retry_after, .. } = &down {
                    halted = Some(*retry_after);
                }
                results.push(Err(down));
                continue;
            }
            if halted.is_none() && !crate::deadline::allows(ITEM_RESERVE) {
                halted = Some(RETRY_UNTRIED);
            }
            if let Some(retry_after) = halted {
                results.push(Err(CoreError::NotAttempted { retry_after }));
                continue;
            }
            // Queue now, wait later: one item's wait must not hold back the next.
            let wait_until = send.wait_until.take();
            let outcome = match queued {
                Some(delivery) => self.enqueued(Enqueued::Created(delivery), None).await,
                None => self.send_message(caller, send).await,
            };
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

    /// When every item is a valid post (no reply), all of them in one statement, in order:
    /// the delivery of each one taken. Items not taken, and every item of a batch that
    /// mixes in replies or invalid items (whose order against the posts must hold), go one
    /// by one; so does everything if this fails other than by the database being down.
    async fn queue_posts_together(
        &self,
        caller: &Caller,
        items: &[Result<SendRequest, CoreError>],
    ) -> Result<Vec<Option<Delivery>>, CoreError> {
        let sends: Option<Vec<&SendRequest>> = items
            .iter()
            .map(|item| {
                item.as_ref()
                    .ok()
                    .filter(|s| s.parent_internal_message_id.is_none())
            })
            .collect();
        let Some(sends) = sends.filter(|sends| sends.len() > 1) else {
            return Ok(Vec::new());
        };
        let payloads: Result<Vec<_>, _> = sends.iter().copied().map(payload_of).collect();
        let Ok(payloads) = payloads else {
            return Ok(Vec::new());
        };
        let posts: Result<Vec<_>, _> = sends
            .iter()
            .zip(&payloads)
            .filter_map(|(send, payload)| {
                let id = send.internal_message_id.clone()?;
                Some(post_of(send, id, payload))
            })
            .collect();
        let Ok(posts) = posts else {
            return Ok(Vec::new());
        };
        if posts.len() != sends.len() {
            return Ok(Vec::new());
        }
        match self.store.enqueue_posts(&posts, caller.team()).await {
            Ok(queued) => Ok(queued),
            Err(err) => match CoreError::from(err) {
                down @ CoreError::Unavailable { .. } => Err(down),
                other => {
                    tracing::warn!(error = %other, "queueing a batch together failed; its items go one by one");
                    Ok(Vec::new())
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let id = RequestId::parse("request_id", Some("r-1"))
            .unwrap()
            .unwrap();
        let other = RequestId::parse("request_id", Some("r-2"))
            .unwrap()
            .unwrap();
        let first = derived_message_id("team-1", &id, 0);
        assert_eq!(first, derived_message_id("team-1", &id, 0));
        assert!(uuid::Uuid::try_parse(first.as_str()).is_ok(), "{first}");
        for different in [
            derived_message_id("team-1", &id, 1),
            derived_message_id("team-2", &id, 0),
            derived_message_id("team-1", &other, 0),
        ] {
            assert_ne!(first, different);
        }
    }
}
