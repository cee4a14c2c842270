//! Listing a workspace into its channel directory. A listing runs under a per-workspace
//! advisory lock held on a connection of its own (a [`DirectoryLease`]), and every write of
//! the listing goes through that connection: one replica lists a workspace at a time, and
//! a listing that lost its connection (so its lock) cannot write. Each page is saved with
//! the cursor of the next one in one transaction, so a 429 or a restart resumes from the
//! stored cursor.

use std::time::Duration;

use sqlx::{Connection, PgConnection};

use super::{
    Store, StoreError,
    channel_directory::{DirectoryState, STATE},
};
use crate::domain::SlackChannel;

/// The advisory lock class of directory listings (the second key is the workspace's hash);
/// two-key locks never collide with the one-key locks of the sweeps.
const LISTING_LOCK_CLASS: i32 = 0x6469_7263; // "dirc"
/// SQLSTATE `lock_not_available`: `lock_timeout` ran out.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// How long from now, as a Postgres interval in milliseconds.
fn millis(wait: Duration) -> i64 {
    i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Takes the workspace's listing lock, waiting at most `wait` (not at all when `None`)
    /// for the replica that holds it; `None` when it stays taken. Creates the workspace's
    /// directory on first use.
    pub async fn lock_channel_directory(
        &self,
        workspace_id: &str,
        wait: Option<Duration>,
    ) -> Result<Option<DirectoryLease>, StoreError> {
        let mut conn = self.pool.acquire().await?.detach();
        let locked = match wait {
            None => {
                sqlx::query_scalar("SELECT pg_try_advisory_lock($1, hashtext($2))")
                    .bind(LISTING_LOCK_CLASS)
                    .bind(workspace_id)
                    .fetch_one(&mut conn)
                    .await?
            }
            Some(wait) => {
                // `SET` takes no parameters; the number is ours.
                sqlx::query(&format!("SET lock_timeout = {}", millis(wait).max(1)))
                    .execute(&mut conn)
                    .await?;
                let locked = sqlx::query("SELECT pg_advisory_lock($1, hashtext($2))")
                    .bind(LISTING_LOCK_CLASS)
                    .bind(workspace_id)
                    .execute(&mut conn)
                    .await;
                match locked {
                    // Later statements of the listing wait for row locks as usual.
                    Ok(_) => {
                        sqlx::query("RESET lock_timeout").execute(&mut conn).await?;
                        true
                    }
                    Err(sqlx::Error::Database(db))
                        if db.code().as_deref() == Some(LOCK_NOT_AVAILABLE) =>
                    {
                        false
                    }
                    Err(err) => return Err(err.into()),
                }
            }
        };
        if !locked {
            let _ = conn.close().await;
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO channel_directories (workspace_id) VALUES ($1)
             ON CONFLICT (workspace_id) DO NOTHING",
        )
        .bind(workspace_id)
        .execute(&mut conn)
        .await?;
        Ok(Some(DirectoryLease {
            conn,
            workspace_id: workspace_id.to_owned(),
            hold: Duration::ZERO,
        }))
    }
}

/// The listing lock of one workspace, and the connection it is held on.
pub struct DirectoryLease {
    conn: PgConnection,
    workspace_id: String,
    /// How long the listing underway keeps the workspace from being due.
    hold: Duration,
}

impl DirectoryLease {
    pub fn workspace_id(&self) -> &str {
        &self.workspace_id
    }

    pub async fn state(&mut self) -> Result<DirectoryState, StoreError> {
        let read = sqlx::query_as(STATE)
            .bind(&self.workspace_id)
            .fetch_one(&mut self.conn);
        Ok(within_deadline(read).await??)
    }

    /// Begins a listing: resumes the one underway (from its stored cursor) or, when none
    /// is or `restart`, starts one at the first page, in a new generation. Until its next
    /// page is saved, the workspace is not due for `hold`. Returns the listing's
    /// generation and the cursor to resume from.
    pub async fn begin_listing(
        &mut self,
        hold: Duration,
        restart: bool,
    ) -> Result<(i64, Option<String>), StoreError> {
        self.hold = hold;
        // In SET and WHERE, `cursor` is the value before the update.
        let begin = sqlx::query_as(
            "UPDATE channel_directories SET
                 generation = generation + CASE WHEN $3 OR cursor IS NULL THEN 1 ELSE 0 END,
                 listing_start_time = CASE WHEN $3 OR cursor IS NULL THEN now()
                                           ELSE listing_start_time END,
                 cursor = CASE WHEN $3 THEN NULL ELSE cursor END,
                 next_refresh_time = now() + $2 * interval '1 millisecond'
             WHERE workspace_id = $1 RETURNING generation, cursor",
        )
        .bind(&self.workspace_id)
        .bind(millis(hold))
        .bind(restart)
        .fetch_one(&mut self.conn);
        Ok(within_deadline(begin).await??)
    }

    /// Saves one page of the listing of `generation` and where the listing goes next: the
    /// cursor of the next page, or, after the last page, the end of the listing (entries it
    /// did not see removed, the next refresh `refresh_after` from now).
    pub async fn save_page(
        &mut self,
        generation: i64,
        channels: &[SlackChannel],
        next: Option<&str>,
        refresh_after: Duration,
    ) -> Result<(), StoreError> {
        let workspace_id = self.workspace_id.clone();
        let save = async {
            // Whether this completes the workspace's first listing.
            let mut first = false;
            let mut tx = self.conn.begin().await?;
            upsert_entries(&mut tx, &workspace_id, generation, channels).await?;
            match next {
                Some(cursor) => {
                    sqlx::query(
                        "UPDATE channel_directories SET cursor = $2,
                             next_refresh_time = now() + $3 * interval '1 millisecond'
                         WHERE workspace_id = $1",
                    )
                    .bind(&workspace_id)
                    .bind(cursor)
                    .bind(millis(self.hold))
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query(
                        "DELETE FROM channel_directory_entries
                         WHERE workspace_id = $1 AND generation < $2",
                    )
                    .bind(&workspace_id)
                    .bind(generation)
                    .execute(&mut *tx)
                    .await?;
                    first = sqlx::query_scalar(
                        "UPDATE channel_directories d SET cursor = NULL, complete_time = now(),
                             next_refresh_time = now() + $2 * interval '1 millisecond',
                             last_error = NULL
                         FROM (SELECT complete_time FROM channel_directories
                               WHERE workspace_id = $1) before
                         WHERE d.workspace_id = $1
                         RETURNING before.complete_time IS NULL",
                    )
                    .bind(&workspace_id)
                    .bind(millis(refresh_after))
                    .fetch_one(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            if first {
                analyze_if_large(&mut self.conn, &workspace_id).await;
            }
            Ok::<_, sqlx::Error>(())
        };
        Ok(within_deadline(save).await??)
    }

    /// The listing stopped short (`error`, Slack's label): try again `retry_after` from now,
    /// from the stored cursor.
    pub async fn postpone(&mut self, error: &str, retry_after: Duration) -> Result<(), StoreError> {
        let postpone = sqlx::query(
            "UPDATE channel_directories SET last_error = $2,
                 next_refresh_time = now() + $3 * interval '1 millisecond'
             WHERE workspace_id = $1",
        )
        .bind(&self.workspace_id)
        .bind(error)
        .bind(millis(retry_after))
        .execute(&mut self.conn);
        within_deadline(postpone).await??;
        Ok(())
    }

    /// Releases the lock (closing its connection, as dropping the lease would).
    pub async fn release(self) {
        let _ = self.conn.close().await;
    }
}

/// After a workspace's first listing of many channels, the planner learns at once that
/// the table grew (autovacuum would take a minute or more): until then it may not see
/// that the trigram index pays and scan the workspace's entries for every search.
async fn analyze_if_large(conn: &mut PgConnection, workspace_id: &str) {
    const LARGE: i64 = 1000;
    let entries: Result<i64, _> = sqlx::query_scalar(
        "SELECT count(*) FROM channel_directory_entries WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_one(&mut *conn)
    .await;
    if entries.is_ok_and(|n| n >= LARGE)
        && let Err(err) = sqlx::query("ANALYZE channel_directory_entries")
            .execute(&mut *conn)
            .await
    {
        tracing::warn!(error = %err, "channel directory: ANALYZE failed");
    }
}

async fn within_deadline<T>(work: impl Future<Output = T>) -> Result<T, StoreError> {
    crate::deadline::within(work)
        .await
        .ok_or(StoreError::Deadline)
}

/// Inserts or updates one listed page: every channel in it exists, unarchived, as of
/// `generation`.
async fn upsert_entries(
    conn: &mut PgConnection,
    workspace_id: &str,
    generation: i64,
    channels: &[SlackChannel],
) -> Result<(), sqlx::Error> {
    let mut ids = Vec::with_capacity(channels.len());
    let mut names = Vec::with_capacity(channels.len());
    let mut lowered = Vec::with_capacity(channels.len());
    let mut purposes = Vec::with_capacity(channels.len());
    let mut topics = Vec::with_capacity(channels.len());
    let mut members = Vec::with_capacity(channels.len());
    let mut is_member = Vec::with_capacity(channels.len());
    // One statement may not update a row twice: a channel listed twice counts once.
    let mut seen = std::collections::HashSet::with_capacity(channels.len());
    for c in channels.iter().filter(|c| seen.insert(c.id.as_str())) {
        ids.push(c.id.as_str());
        names.push(c.name.as_str());
        lowered.push(c.name.to_lowercase());
        purposes.push(c.purpose.as_str());
        topics.push(c.topic.as_str());
        members.push(c.member_count);
        is_member.push(c.is_member);
    }
    sqlx::query(
        "INSERT INTO channel_directory_entries AS e (workspace_id, channel_id, name, name_lower,
             purpose, topic, member_count, is_member, is_archived, generation)
         SELECT $1, p.* , false, $9
         FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int4[],
                     $8::bool[]) AS p
         ON CONFLICT (workspace_id, channel_id) DO UPDATE SET name = EXCLUDED.name,
             name_lower = EXCLUDED.name_lower, purpose = EXCLUDED.purpose,
             topic = EXCLUDED.topic, member_count = EXCLUDED.member_count,
             is_member = EXCLUDED.is_member, is_archived = false,
             generation = EXCLUDED.generation, update_time = now()",
    )
    .bind(workspace_id)
    .bind(&ids)
    .bind(&names)
    .bind(&lowered)
    .bind(&purposes)
    .bind(&topics)
    .bind(&members)
    .bind(&is_member)
    .bind(generation)
    .execute(conn)
    .await?;
    Ok(())
}
