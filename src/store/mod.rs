//! Postgres repositories. SQLSTATEs are mapped here and nowhere else; transient failures
//! (serialization failures, deadlocks, dropped connections) are retried with backoff.

mod audit;
mod channel_directory;
mod channels;
mod codec;
mod deliveries;
mod directory_listing;
mod edits;
mod event_hooks;
pub mod event_log;
mod events;
mod finish_batch;
mod gauges;
mod group_commit;
mod integration_row;
mod integrations;
mod interactions;
mod lease;
mod oauth;
mod outbox;
mod post_batch;
mod rekey;
mod requests;
mod retention;
mod stats;
mod tokens;
mod wakeups;
mod webhook_outbox;
mod webhooks;

use std::{
    future::Future,
    sync::{Arc, OnceLock},
    time::Duration,
};

use chrono::{DateTime, Utc};
use sqlx::{Encode, PgPool, Postgres, QueryBuilder, Type, postgres::PgPoolOptions};
use tracing::Instrument;

pub use audit::AuditAction;
pub use channel_directory::{DirectoryPage, DirectoryState, EntryChange};
pub use deliveries::{Enqueued, NewDelivery, NewPost, OUTBOX_CHANNEL};
pub use directory_listing::DirectoryLease;
pub use event_log::{EventFilter, EventsRead, NewEvent, StoredEvent};
pub use finish_batch::Finished;
use finish_batch::PendingFinish;
pub use gauges::Gauges;
use group_commit::GroupCommit;
pub use integrations::{InstallOutcome, IntegrationFilter, NewIntegration, UpdateFields};
pub use interactions::InteractionOutcome;
pub use lease::HeldLane;
pub use oauth::{ClaimedState, ExpiredReconnect, NewOAuthState, NewReconnect};
pub use outbox::{AttemptRecord, Claimed, LeaseTerms, Outcome};
use post_batch::PendingPost;
pub use rekey::{Resealed, SealedKind, SealedRow};
pub use requests::{Idempotent, RequestKey, Seen};
pub use retention::{FinishedCursor, RemovedDeliveries};
pub use stats::{DashboardStats, MessagingStats, StatsScope};
pub use tokens::{LockedTokens, TokenSet};
pub use wakeups::OutboxWakeups;
pub use webhook_outbox::{ClaimedWebhook, WebhookFailure};
pub use webhooks::{NewWebhook, WebhookChanges};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or kept failing transiently.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A unique constraint refused the write.
    #[error("unique constraint {constraint} violated")]
    UniqueViolation { constraint: String },
    /// The call's deadline came before the database answered.
    #[error("no answer from the database before the call's deadline")]
    Deadline,
    #[error("database error")]
    Internal(#[source] sqlx::Error),
}

impl StoreError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) => match db.code().as_deref() {
                Some("23505") => Self::UniqueViolation {
                    constraint: db.constraint().unwrap_or_default().to_owned(),
                },
                // serialization_failure, deadlock_detected, admin/crash shutdown,
                // cannot_connect_now, and the connection_exception class.
                Some("40001" | "40P01" | "57P01" | "57P02" | "57P03") => Self::Unavailable(err),
                Some(code) if code.starts_with("08") => Self::Unavailable(err),
                _ => Self::Internal(err),
            },
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_) => Self::Unavailable(err),
            _ => Self::Internal(err),
        }
    }
}

/// Attempts for a transient failure, and the pause before each retry.
const RETRY_PAUSES: &[Duration] = &[
    Duration::from_millis(20),
    Duration::from_millis(100),
    Duration::from_millis(400),
];

/// Runs `op` again while it fails transiently, then gives up with the last error.
/// `op` must be safe to repeat: each call is one whole transaction or one statement.
/// Within a call, no try outlasts the call's deadline and no retry starts that could not
/// finish before it: the caller hears UNAVAILABLE in time instead of being cut off.
/// Every try and pause is inside one `store.<what>` span.
async fn retrying<T, F, Fut>(what: &'static str, op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    retry_transient(what, op)
        .instrument(operation_span(what))
        .await
}

/// The span of one store operation, within the work that asked for it. Background loops
/// (a worker's claim, a sweep) poll the store outside any span: a poll is not worth a
/// trace of its own, so there the operation records none.
fn operation_span(what: &'static str) -> tracing::Span {
    if tracing::Span::current().is_none() {
        return tracing::Span::none();
    }
    tracing::info_span!(
        "store",
        otel.name = format!("store.{what}"),
        db.system = "postgresql",
        db.operation = what,
    )
}

async fn retry_transient<T, F, Fut>(what: &'static str, mut op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut pauses = RETRY_PAUSES.iter();
    loop {
        let Some(outcome) = crate::deadline::within(op()).await else {
            tracing::warn!(
                operation = what,
                "database too slow for the call's deadline"
            );
            return Err(StoreError::Deadline);
        };
        match outcome {
            Err(err) if err.is_transient() => {
                let jittered = pauses.next().map(|pause| {
                    let jitter = rand::random::<u64>() % (pause.as_millis() as u64 / 2 + 1);
                    *pause + Duration::from_millis(jitter)
                });
                match jittered.filter(|pause| crate::deadline::allows(*pause)) {
                    Some(pause) => {
                        tracing::warn!(operation = what, error = %err, "transient database error, retrying");
                        tokio::time::sleep(pause).await;
                    }
                    None => return Err(err),
                }
            }
            other => return other,
        }
    }
}

/// Ends a list query with one page of it in creation order: the rows after `after` by
/// `(create_time, id)`, at most `limit`. The query's `WHERE` must be open for an `AND`.
fn push_page<'q, Id>(
    query: &mut QueryBuilder<'q, Postgres>,
    after: Option<(DateTime<Utc>, Id)>,
    limit: i64,
) where
    Id: 'q + Encode<'q, Postgres> + Type<Postgres>,
{
    if let Some((time, id)) = after {
        query
            .push(" AND (create_time, id) > (")
            .push_bind(time)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    query
        .push(" ORDER BY create_time, id LIMIT ")
        .push_bind(limit);
}

/// The database behind every repository.
#[derive(Clone)]
pub struct Store {
    pool: PgPool,
    /// SendMessage's group commit, started on first use (on the runtime that uses it).
    posts: Arc<OnceLock<GroupCommit<PendingPost, Option<crate::domain::Delivery>>>>,
    /// The delivery workers' group commit of attempt outcomes, likewise.
    finishes: Arc<OnceLock<GroupCommit<PendingFinish, Option<Finished>>>>,
}

impl Store {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            posts: Arc::default(),
            finishes: Arc::default(),
        }
    }

    fn finish_batches(&self) -> &GroupCommit<PendingFinish, Option<Finished>> {
        self.finishes.get_or_init(|| {
            let pool = self.pool.clone();
            GroupCommit::start(
                finish_batch::MAX_BATCH,
                finish_batch::FLUSHES,
                move |batch| finish_batch::finish_all(pool.clone(), batch),
            )
        })
    }

    fn post_batches(&self) -> &GroupCommit<PendingPost, Option<crate::domain::Delivery>> {
        self.posts.get_or_init(|| {
            let pool = self.pool.clone();
            GroupCommit::start(post_batch::MAX_BATCH, post_batch::FLUSHES, move |batch| {
                post_batch::insert_posts(pool.clone(), batch)
            })
        })
    }

    /// A pool that connects on first use, so the service starts (and reports not-ready)
    /// while the database is still coming up.
    pub fn connect_lazy(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy(url)
            .map_err(StoreError::Internal)?;
        Ok(Self::new(pool))
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

impl Store {
    /// Connects and applies every pending migration.
    pub async fn migrate(config: &crate::config::DatabaseConfig) -> Result<(), sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect(secrecy::ExposeSecret::expose_secret(&config.url))
            .await?;
        MIGRATOR.run(&pool).await?;
        pool.close().await;
        Ok(())
    }
}

/// A Postgres advisory lock held on a connection of its own: one replica at a time runs a
/// periodic sweep. Closing the connection (also on drop) releases it.
pub struct SweepLock(sqlx::PgConnection);

impl SweepLock {
    pub async fn release(self) {
        let _ = sqlx::Connection::close(self.0).await;
    }
}

impl Store {
    /// `None` when another replica holds the lock.
    pub async fn try_sweep_lock(&self, key: i64) -> Result<Option<SweepLock>, StoreError> {
        let mut conn = self.pool.acquire().await?.detach();
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut conn)
            .await?;
        if locked {
            Ok(Some(SweepLock(conn)))
        } else {
            let _ = sqlx::Connection::close(conn).await;
            Ok(None)
        }
    }
}
