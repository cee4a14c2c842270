//! The dispatcher loop: claim due subscriptions up to the in-flight limit, push each one's
//! events in its own task, sleep until a new event is committed (the log's NOTIFY), a
//! retry falls due, a task ends or the poll interval passes.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use sqlx::postgres::PgListener;
use tokio::{sync::watch, task::JoinSet};
use uuid::Uuid;

use super::{Engine, SendError};
use crate::{
    domain::webhook::secret_binding,
    store::{ClaimedWebhook, EventFilter, EventsRead, WebhookFailure, event_log::EVENTS_CHANNEL},
};

/// Events read from the log per query.
const READ_BATCH: i64 = 100;
/// Shortest sleep when a retry is due soon (keeps the loop from spinning).
const MIN_SLEEP: Duration = Duration::from_millis(5);

async fn listen(engine: &Engine) -> Option<PgListener> {
    let mut listener = PgListener::connect_with(engine.store.pool()).await.ok()?;
    listener.listen(EVENTS_CHANNEL).await.ok()?;
    Some(listener)
}

/// Waits for the next event notification; without a listener (lost, or never made) waits
/// forever and the poll takes over until the next round makes a new one.
async fn notified(listener: &mut Option<PgListener>) {
    let Some(active) = listener.as_mut() else {
        return std::future::pending().await;
    };
    if let Err(err) = active.recv().await {
        tracing::warn!(error = %err, "lost the event notifications; polling meanwhile");
        *listener = None;
    }
}

/// Runs until `stop` turns true, then lets the subscriptions in flight finish their event.
pub async fn run(engine: Engine, mut stop: watch::Receiver<bool>) {
    let engine = Arc::new(engine);
    let owner = Uuid::new_v4();
    let mut in_flight: JoinSet<()> = JoinSet::new();
    let mut listener = listen(&engine).await;
    let mut wake_idle = true;
    tracing::info!(dispatcher = %owner, "webhook dispatcher started");

    while !*stop.borrow() {
        if listener.is_none() {
            listener = listen(&engine).await;
        }
        if wake_idle && let Err(err) = engine.store.wake_idle_webhooks().await {
            tracing::warn!(error = %err, "could not wake idle webhook subscriptions");
        }
        let room = engine.config.max_in_flight.saturating_sub(in_flight.len());
        if room > 0 {
            match engine
                .store
                .claim_webhooks(owner, room as i64, engine.config.lease())
                .await
            {
                Ok(claimed) => {
                    for held in claimed {
                        let engine = engine.clone();
                        in_flight.spawn(async move { push(&engine, held).await });
                    }
                }
                Err(err) => tracing::warn!(error = %err, "webhook claim failed"),
            }
        }
        let sleep = match engine.store.next_webhook_retry().await {
            Ok(Some(next)) => (next - Utc::now())
                .to_std()
                .unwrap_or_default()
                .clamp(MIN_SLEEP, engine.config.poll_interval),
            _ => engine.config.poll_interval,
        };
        wake_idle = false;
        tokio::select! {
            changed = stop.changed() => if changed.is_err() { break },
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            _ = tokio::time::sleep(sleep) => wake_idle = true,
            _ = notified(&mut listener) => wake_idle = true,
        }
        while in_flight.try_join_next().is_some() {}
    }
    tracing::info!(dispatcher = %owner, in_flight = in_flight.len(), "webhook dispatcher stopping");
    while in_flight.join_next().await.is_some() {}
}

/// Sends the subscription's events after its cursor, one at a time, until it is caught
/// up, a send fails, or the lease is lost.
async fn push(engine: &Engine, mut held: ClaimedWebhook) {
    let secret = match engine
        .cipher
        .decrypt(&held.secret_ciphertext, &secret_binding(held.id))
    {
        Ok(secret) => secret,
        Err(_) => {
            tracing::error!(subscription = %held.id, "signing secret does not decrypt");
            return fail(engine, &held, &SendError::Signing).await;
        }
    };
    let filter = EventFilter {
        team_id: held.team_id.clone(),
        types: held.event_types.clone(),
    };
    loop {
        let events = match engine
            .store
            .read_events(held.cursor, &filter, READ_BATCH)
            .await
        {
            Ok(EventsRead::Events(events)) => events,
            // Retention removed events it never got (it was disabled for that long): go on
            // with the oldest retained one.
            Ok(EventsRead::Expired) => {
                tracing::warn!(subscription = %held.id, "events expired before delivery");
                held.cursor = crate::domain::EventCursor::START;
                continue;
            }
            Err(err) => {
                tracing::warn!(subscription = %held.id, error = %err, "could not read events");
                return;
            }
        };
        if events.is_empty() {
            if let Err(err) = engine.store.release_webhook(&held).await {
                tracing::warn!(subscription = %held.id, error = %err, "could not release");
            }
            return;
        }
        for event in events {
            let body = (engine.body)(&event);
            let sent = engine
                .sender
                .send(&held.url, &secret, &event.id.to_string(), body)
                .await;
            if let Err(err) = sent {
                return fail(engine, &held, &err).await;
            }
            match engine
                .store
                .webhook_delivered(&held, event.cursor, engine.config.lease())
                .await
            {
                Ok(true) => {
                    held.cursor = event.cursor;
                    held.attempts = 0;
                }
                // Another dispatcher owns it now and re-sends from the stored cursor; the
                // receiver deduplicates by webhook-id.
                Ok(false) => return,
                Err(err) => {
                    tracing::warn!(subscription = %held.id, error = %err, "could not record delivery");
                    return;
                }
            }
        }
    }
}

/// Schedules the next try (honouring a receiver's Retry-After, within the schedule's
/// pause), or disables the subscription when the schedule is spent.
async fn fail(engine: &Engine, held: &ClaimedWebhook, err: &SendError) {
    let schedule = &engine.config.retry_schedule;
    let failure = match schedule.get(usize::try_from(held.attempts).unwrap_or(usize::MAX)) {
        Some(pause) => {
            let pause = err.retry_after().map_or(*pause, |asked| asked.min(*pause));
            WebhookFailure::RetryAt(Utc::now() + pause)
        }
        None => WebhookFailure::Disable,
    };
    let label = err.label();
    tracing::info!(subscription = %held.id, error = %label, attempts = held.attempts + 1, "webhook delivery failed");
    if let Err(store_err) = engine.store.webhook_failed(held, &label, &failure).await {
        tracing::warn!(subscription = %held.id, error = %store_err, "could not record failure");
    }
}
