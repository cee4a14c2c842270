//! AIP-155 request ids. A request id is taken inside the transaction that does the work, so
//! a repeat either finds the first call's answer or (if that call failed and rolled back)
//! does the work itself; two at once queue behind the first's row.

use sqlx::PgConnection;
use uuid::Uuid;

use super::{Store, StoreError, retrying};

/// How long a request id is remembered; the retention sweep removes older ones (before it
/// removes any delivery, so a repeat never meets an answer that is gone).
const REMEMBER_REQUESTS: &str = "1 day";

/// A request id as the store keeps it.
pub struct RequestKey {
    /// Who asked: a team token's team, or empty for a service key.
    pub scope: String,
    /// The RPC.
    pub method: &'static str,
    pub request_id: String,
    /// A digest of the request; the same id with another digest is refused.
    pub fingerprint: Vec<u8>,
}

/// What a request id says about this call.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// First time: do the work.
    New,
    /// The same request again: the first call's answer, if it recorded one.
    Repeat(Option<Uuid>),
    /// The id was used for a different request.
    Reused,
}

/// Work done under a request id (or without one).
#[derive(Debug)]
pub enum Idempotent<T> {
    Done(T),
    /// A repeat: what the first call made.
    Repeat(T),
    /// The id was used for a different request; nothing was done.
    Reused,
}

/// Takes the request id for this transaction, or reports what it was used for.
pub(super) async fn take(conn: &mut PgConnection, key: &RequestKey) -> Result<Seen, StoreError> {
    // A concurrent twin's uncommitted row makes this wait for its outcome.
    let taken = sqlx::query(
        "INSERT INTO request_ids (scope, method, request_id, fingerprint)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(&key.scope)
    .bind(key.method)
    .bind(&key.request_id)
    .bind(&key.fingerprint)
    .execute(&mut *conn)
    .await?;
    if taken.rows_affected() == 1 {
        return Ok(Seen::New);
    }
    let (fingerprint, answer): (Vec<u8>, Option<Uuid>) = sqlx::query_as(
        "SELECT fingerprint, answer FROM request_ids
         WHERE scope = $1 AND method = $2 AND request_id = $3",
    )
    .bind(&key.scope)
    .bind(key.method)
    .bind(&key.request_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(if fingerprint == key.fingerprint {
        Seen::Repeat(answer)
    } else {
        Seen::Reused
    })
}

/// Records what the call made, for its repeats.
pub(super) async fn answer(
    conn: &mut PgConnection,
    key: &RequestKey,
    made: Uuid,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE request_ids SET answer = $4 WHERE scope = $1 AND method = $2 AND request_id = $3",
    )
    .bind(&key.scope)
    .bind(key.method)
    .bind(&key.request_id)
    .bind(made)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Removes up to `batch` request ids older than they are remembered; how many.
    pub async fn remove_expired_request_ids(&self, batch: i64) -> Result<u64, StoreError> {
        retrying("remove_expired_request_ids", || async move {
            let removed = sqlx::query(&format!(
                "DELETE FROM request_ids WHERE (scope, method, request_id) IN (
                     SELECT scope, method, request_id FROM request_ids
                     WHERE create_time < now() - interval '{REMEMBER_REQUESTS}'
                     ORDER BY create_time LIMIT $1)"
            ))
            .bind(batch)
            .execute(&self.pool)
            .await?;
            Ok(removed.rows_affected())
        })
        .await
    }

    /// Takes a request id on its own, for work that is idempotent by itself (a batch whose
    /// items carry ids derived from the request id).
    pub async fn take_request_id(&self, key: &RequestKey) -> Result<Seen, StoreError> {
        retrying("take_request_id", || async move {
            let mut conn = self.pool.acquire().await?;
            take(&mut conn, key).await
        })
        .await
    }
}
