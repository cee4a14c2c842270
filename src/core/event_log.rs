//! Reading the event log: pages for ListEvents, and a stream that replays from a cursor
//! and then follows new events (woken by Postgres notifications, polling as a fallback).

use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::{Core, CoreError, integrations::RESOURCE_PAGE};
use crate::{
    domain::{Caller, EventCursor, TeamId, event::parse_event_types},
    store::{EventFilter, EventsRead, Store, StoredEvent},
};

/// Events a stream reads per round while replaying.
const STREAM_BATCH: i64 = 200;
/// How often a following stream looks for events when no notification came (a lost
/// notification connection, or events that became visible only as xmin moved).
const STREAM_POLL: Duration = Duration::from_secs(1);

/// What a reader asked for; `team_id` as requested, before the caller's scope.
pub struct EventQuery {
    pub team_id: Option<TeamId>,
    pub types: Vec<String>,
}

/// Rings (a counter moves) whenever some replica appended events. One listening
/// connection per process, shared by every stream.
#[derive(Clone)]
pub struct EventBell(watch::Receiver<u64>);

impl EventBell {
    /// Listens until the process ends; reconnects after a lost connection (streams poll
    /// meanwhile).
    pub fn start(store: Store) -> Self {
        let (ring, bell) = watch::channel(0u64);
        tokio::spawn(async move {
            loop {
                match store.listen_events().await {
                    Ok(mut listener) => {
                        while listener.recv().await.is_ok() {
                            ring.send_modify(|n| *n += 1);
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "cannot listen for events"),
                }
                if ring.is_closed() {
                    return;
                }
                tokio::time::sleep(STREAM_POLL).await;
            }
        });
        Self(bell)
    }
}

impl Core {
    fn event_filter(&self, caller: &Caller, query: EventQuery) -> Result<EventFilter, CoreError> {
        let team_id = caller
            .scope(query.team_id)
            .map_err(|_| CoreError::PermissionDenied)?;
        let types = parse_event_types("types", &query.types).map_err(CoreError::InvalidArgument)?;
        Ok(EventFilter { team_id, types })
    }

    /// One page of events in log order, and the token of the next page when there is one.
    pub async fn list_events(
        &self,
        caller: &Caller,
        query: EventQuery,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<StoredEvent>, Option<String>), CoreError> {
        let filter = self.event_filter(caller, query)?;
        let size = RESOURCE_PAGE
            .resolve(page_size)
            .map_err(CoreError::invalid)?;
        let fingerprint = format!("team={:?};types={:?}", filter.team_id, filter.types);
        let after = self
            .pages
            .position::<EventCursor>(page_token, &fingerprint)
            .map_err(CoreError::invalid)?
            .unwrap_or(EventCursor::START);
        let mut events = match self
            .store
            .read_events(after, &filter, size as i64 + 1)
            .await?
        {
            EventsRead::Events(events) => events,
            EventsRead::Expired => return Err(CoreError::EventCursorExpired),
        };
        let next = self
            .pages
            .next_page(&mut events, size, &fingerprint, |e| e.cursor);
        Ok((events, next))
    }

    /// Checks the request, then streams every event after `after` and every later one,
    /// until the receiver is dropped (the client went away) or `stop` turns true.
    pub fn stream_events(
        &self,
        caller: &Caller,
        query: EventQuery,
        after: EventCursor,
        bell: EventBell,
        stop: watch::Receiver<bool>,
    ) -> Result<mpsc::Receiver<Result<StoredEvent, CoreError>>, CoreError> {
        let filter = self.event_filter(caller, query)?;
        let (tx, rx) = mpsc::channel(STREAM_BATCH as usize);
        tokio::spawn(follow(self.store.clone(), filter, after, bell, stop, tx));
        Ok(rx)
    }
}

async fn follow(
    store: Store,
    filter: EventFilter,
    mut cursor: EventCursor,
    EventBell(mut bell): EventBell,
    mut stop: watch::Receiver<bool>,
    tx: mpsc::Sender<Result<StoredEvent, CoreError>>,
) {
    loop {
        // Marked seen before reading: a ring during the read is not lost.
        bell.borrow_and_update();
        let events = match store.read_events(cursor, &filter, STREAM_BATCH).await {
            Ok(EventsRead::Events(events)) => events,
            Ok(EventsRead::Expired) => {
                let _ = tx.send(Err(CoreError::EventCursorExpired)).await;
                return;
            }
            Err(err) => {
                let _ = tx.send(Err(err.into())).await;
                return;
            }
        };
        let full = events.len() as i64 == STREAM_BATCH;
        for event in events {
            cursor = event.cursor;
            if tx.send(Ok(event)).await.is_err() {
                return;
            }
        }
        if full {
            continue;
        }
        tokio::select! {
            _ = bell.changed() => {}
            _ = tokio::time::sleep(STREAM_POLL) => {}
            _ = tx.closed() => return,
            _ = stop.wait_for(|stop| *stop) => return,
        }
    }
}
