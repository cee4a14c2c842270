//! Wake-ups for the delivery workers: Postgres `LISTEN` on the outbox channel, re-made
//! with backoff while it is lost (the workers poll meanwhile).

use std::time::{Duration, Instant};

use sqlx::postgres::PgListener;

use super::{OUTBOX_CHANNEL, Store};

/// Pauses between attempts to subscribe to notifications again after losing them.
const LISTEN_RETRY_FIRST: Duration = Duration::from_millis(500);
const LISTEN_RETRY_CAP: Duration = Duration::from_secs(30);

/// The outbox notifications of one worker.
pub struct OutboxWakeups {
    store: Store,
    listener: Option<PgListener>,
    retry_pause: Duration,
    next_try: Instant,
}

impl Store {
    /// Subscribes to the outbox notifications; when that fails, `recv` waits forever and
    /// `resubscribe_if_due` tries again.
    pub async fn outbox_wakeups(&self) -> OutboxWakeups {
        let listener = self.listen().await;
        if listener.is_none() {
            tracing::warn!("LISTEN failed; delivery workers poll until it works again");
        }
        OutboxWakeups {
            store: self.clone(),
            listener,
            retry_pause: LISTEN_RETRY_FIRST,
            next_try: Instant::now() + LISTEN_RETRY_FIRST,
        }
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen(OUTBOX_CHANNEL).await.ok()?;
        Some(listener)
    }
}

impl OutboxWakeups {
    /// Subscribes again when the subscription is lost and the backoff has passed.
    pub async fn resubscribe_if_due(&mut self) {
        if self.listener.is_some() || Instant::now() < self.next_try {
            return;
        }
        self.listener = self.store.listen().await;
        if self.listener.is_some() {
            tracing::info!("LISTEN works again");
            self.retry_pause = LISTEN_RETRY_FIRST;
        } else {
            self.retry_pause = (self.retry_pause * 2).min(LISTEN_RETRY_CAP);
            self.next_try = Instant::now() + self.retry_pause;
        }
    }

    /// Waits for a notification; after an error, the subscription is dropped and re-made.
    pub async fn recv(&mut self) {
        let Some(listener) = self.listener.as_mut() else {
            return std::future::pending().await;
        };
        if let Err(err) = listener.recv().await {
            tracing::warn!(error = %err, "lost the outbox notifications; polling meanwhile");
            self.listener = None;
            self.next_try = Instant::now();
        }
    }
}
