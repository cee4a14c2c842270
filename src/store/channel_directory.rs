//! The channel directory: each workspace's public channels as Slack last listed them, kept
//! current by channel events, and where each workspace's listing stands. ListChannels
//! searches it here; the listing itself writes through `directory_listing.rs`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Store, StoreError, retrying};
use crate::domain::{Condition, IntegrationId, SlackChannel};

/// The entry columns ListChannels returns, as [`SlackChannel`] reads them.
const ENTRY_COLUMNS: &str = "channel_id, name, purpose, topic, member_count, is_member";

/// Where a workspace's listing stands.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DirectoryState {
    /// The end of the last complete listing.
    pub complete_time: Option<DateTime<Utc>>,
    pub next_refresh_time: DateTime<Utc>,
}

/// Reads a [`DirectoryState`]: the directory of workspace `$1`.
pub(super) const STATE: &str = "SELECT complete_time, next_refresh_time
     FROM channel_directories WHERE workspace_id = $1";

/// One page of a directory search and how many entries match in all.
pub struct DirectoryPage {
    pub channels: Vec<SlackChannel>,
    pub total_size: i64,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    channel_id: String,
    name: String,
    purpose: String,
    topic: String,
    member_count: i32,
    is_member: bool,
}

impl From<EntryRow> for SlackChannel {
    fn from(row: EntryRow) -> Self {
        Self {
            id: row.channel_id,
            name: row.name,
            purpose: row.purpose,
            topic: row.topic,
            member_count: row.member_count,
            is_member: row.is_member,
        }
    }
}

/// `query` as a `LIKE` pattern matching it anywhere, its wildcards taken literally.
fn contains_pattern(query: &str) -> String {
    let mut pattern = String::with_capacity(query.len() + 2);
    pattern.push('%');
    for c in query.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Store {
    /// Where the workspace's listing stands; `None` before its first listing began.
    pub async fn channel_directory(
        &self,
        workspace_id: &str,
    ) -> Result<Option<DirectoryState>, StoreError> {
        retrying("channel_directory", || async move {
            Ok(sqlx::query_as(STATE)
                .bind(workspace_id)
                .fetch_optional(&self.pool)
                .await?)
        })
        .await
    }

    /// The workspace's unarchived channels whose lowercased name contains `name_query`
    /// (already lowercased; all of them when `None`), in (name, id) byte order after
    /// `after`, at most `limit`; and how many match in all.
    pub async fn search_channel_directory(
        &self,
        workspace_id: &str,
        name_query: Option<&str>,
        after: Option<(&str, &str)>,
        limit: i64,
    ) -> Result<DirectoryPage, StoreError> {
        let pattern = name_query.map(contains_pattern);
        let (after_name, after_id) = after.unzip();
        // The page and the count on two connections at once: a call waits for the
        // slower, not for both.
        const MATCHING: &str = "FROM channel_directory_entries
             WHERE workspace_id = $1 AND NOT is_archived
               AND ($2::text IS NULL OR name_lower LIKE $2)";
        let page_sql = format!(
            "SELECT {ENTRY_COLUMNS} {MATCHING}
               AND ($3::text IS NULL OR (name, channel_id) > ($3, $4))
             ORDER BY name, channel_id LIMIT $5"
        );
        let count_sql = format!("SELECT count(*) {MATCHING}");
        retrying("search_channel_directory", || {
            let (pattern, page_sql, count_sql) = (pattern.as_deref(), &page_sql, &count_sql);
            async move {
                let page = sqlx::query_as::<_, EntryRow>(page_sql)
                    .bind(workspace_id)
                    .bind(pattern)
                    .bind(after_name)
                    .bind(after_id)
                    .bind(limit)
                    .fetch_all(&self.pool);
                let count = sqlx::query_scalar::<_, i64>(count_sql)
                    .bind(workspace_id)
                    .bind(pattern)
                    .fetch_one(&self.pool);
                let (rows, total_size) = tokio::try_join!(page, count)?;
                Ok(DirectoryPage {
                    channels: rows.into_iter().map(SlackChannel::from).collect(),
                    total_size,
                })
            }
        })
        .await
    }

    /// Gives every workspace with an ACTIVE integration a directory (listed at the next
    /// round), and removes the directories of workspaces no integration uses any more.
    pub async fn enroll_channel_directories(&self) -> Result<(), StoreError> {
        retrying("enroll_channel_directories", || async move {
            sqlx::query(
                "INSERT INTO channel_directories (workspace_id)
                 SELECT DISTINCT workspace_id FROM integrations WHERE enabled AND condition = $1
                 ON CONFLICT (workspace_id) DO NOTHING",
            )
            .bind(Condition::Healthy)
            .execute(&self.pool)
            .await?;
            sqlx::query(
                "DELETE FROM channel_directories d WHERE NOT EXISTS
                     (SELECT 1 FROM integrations i WHERE i.workspace_id = d.workspace_id)",
            )
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }

    /// Workspaces whose refresh is due, longest overdue first, at most `limit`.
    pub async fn due_channel_directories(&self, limit: i64) -> Result<Vec<String>, StoreError> {
        retrying("due_channel_directories", || async move {
            Ok(sqlx::query_scalar(
                "SELECT workspace_id FROM channel_directories WHERE next_refresh_time <= now()
                 ORDER BY next_refresh_time LIMIT $1",
            )
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
        })
        .await
    }

    /// How long until the next refresh is due (zero when one is overdue); `None` without
    /// any directory.
    pub async fn next_channel_directory_refresh(&self) -> Result<Option<Duration>, StoreError> {
        retrying("next_channel_directory_refresh", || async move {
            let seconds: Option<f64> = sqlx::query_scalar(
                "SELECT EXTRACT(EPOCH FROM min(next_refresh_time) - now())::float8
                 FROM channel_directories",
            )
            .fetch_one(&self.pool)
            .await?;
            Ok(seconds.map(|s| Duration::try_from_secs_f64(s.max(0.0)).unwrap_or_default()))
        })
        .await
    }

    /// The workspace's most recently connected ACTIVE integration, whose token lists it.
    pub async fn directory_integration(
        &self,
        workspace_id: &str,
    ) -> Result<Option<IntegrationId>, StoreError> {
        retrying("directory_integration", || async move {
            let id: Option<uuid::Uuid> = sqlx::query_scalar(
                "SELECT id FROM integrations WHERE workspace_id = $1 AND enabled
                     AND condition = $2
                 ORDER BY connect_time DESC LIMIT 1",
            )
            .bind(workspace_id)
            .bind(Condition::Healthy)
            .fetch_optional(&self.pool)
            .await?;
            Ok(id.map(IntegrationId::from_uuid))
        })
        .await
    }
}

/// What a channel event did to a directory entry.
#[derive(Debug, Clone, Copy)]
pub enum EntryChange<'a> {
    /// Created or renamed: the channel exists under this name.
    Named(&'a str),
    Archived(bool),
    Deleted,
    /// The bot joined the channel (through SetNotificationChannel).
    BotJoined,
    /// This user left the channel: only the bot's leaving changes the entry.
    Left {
        user: &'a str,
    },
}

impl Store {
    /// Applies a channel event to the workspace's directory, if it has one; returns how
    /// many entries changed. An entry an event mentions counts as seen by the listing
    /// underway, so its end keeps it. An unarchived channel the directory no longer has
    /// brings the next refresh forward.
    pub async fn change_directory_entry(
        &self,
        workspace_id: &str,
        channel_id: &str,
        change: EntryChange<'_>,
    ) -> Result<u64, StoreError> {
        // The entry ($1, $2), seen by the workspace's current generation.
        const ENTRY: &str = "generation = d.generation, update_time = now()
             FROM channel_directories d
             WHERE d.workspace_id = e.workspace_id AND e.workspace_id = $1 AND e.channel_id = $2";
        let sql = match change {
            EntryChange::Named(_) => "INSERT INTO channel_directory_entries AS e (workspace_id,
                     channel_id, name, name_lower, generation)
                 SELECT $1, $2, $3, $4, d.generation FROM channel_directories d
                 WHERE d.workspace_id = $1
                 ON CONFLICT (workspace_id, channel_id) DO UPDATE SET name = EXCLUDED.name,
                     name_lower = EXCLUDED.name_lower, generation = EXCLUDED.generation,
                     update_time = now()"
                .to_owned(),
            EntryChange::Archived(_) => {
                format!("UPDATE channel_directory_entries e SET is_archived = $3, {ENTRY}")
            }
            EntryChange::Deleted => "DELETE FROM channel_directory_entries
                 WHERE workspace_id = $1 AND channel_id = $2"
                .to_owned(),
            EntryChange::BotJoined => {
                format!("UPDATE channel_directory_entries e SET is_member = true, {ENTRY}")
            }
            EntryChange::Left { .. } => format!(
                "UPDATE channel_directory_entries e SET is_member = false, {ENTRY}
                   AND EXISTS (SELECT 1 FROM integrations i
                               WHERE i.workspace_id = $1 AND i.bot_user_id = $3)"
            ),
        };
        retrying("change_directory_entry", || {
            let sql = sql.as_str();
            async move {
                let query = sqlx::query(sql).bind(workspace_id).bind(channel_id);
                let query = match change {
                    // Lowercased as ListChannels lowercases its name_query.
                    EntryChange::Named(name) => query.bind(name).bind(name.to_lowercase()),
                    EntryChange::Archived(archived) => query.bind(archived),
                    EntryChange::Left { user } => query.bind(user),
                    EntryChange::Deleted | EntryChange::BotJoined => query,
                };
                let changed = query.execute(&self.pool).await?.rows_affected();
                if changed == 0 && matches!(change, EntryChange::Archived(false)) {
                    sqlx::query(
                        "UPDATE channel_directories SET next_refresh_time = now()
                         WHERE workspace_id = $1",
                    )
                    .bind(workspace_id)
                    .execute(&self.pool)
                    .await?;
                }
                Ok(changed)
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_matches_anywhere_with_its_wildcards_taken_literally() {
        assert_eq!(contains_pattern("alerts"), "%alerts%");
        assert_eq!(contains_pattern(r"50%_off\"), r"%50\%\_off\\%");
        assert_eq!(contains_pattern(""), "%%");
    }
}
