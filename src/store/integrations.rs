use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres, QueryBuilder, postgres::PgArguments, query::QueryScalar};
use uuid::Uuid;

use super::codec::PENDING_STATES;
use super::{
    Store, StoreError,
    audit::{self, AuditAction},
    event_hooks, event_log,
    integration_row::{COLUMNS, IntegrationRow, VIEW},
    oauth::{self, NewReconnect},
    push_page,
    requests::{self, Idempotent, RequestKey, Seen},
    retrying,
    tokens::TokenSet,
};
use crate::domain::{
    Condition, DeliveryFailure, DeliveryState, EventPayload, Installation, Integration,
    IntegrationId, IntegrationName, TeamId,
};

pub struct NewIntegration {
    pub id: IntegrationId,
    pub team_id: TeamId,
    pub name: IntegrationName,
    pub installation: Installation,
    pub tokens: TokenSet,
}

/// What an install came to.
pub enum InstallOutcome {
    Created(Integration),
    /// The team already has this workspace; the fresh tokens were kept under a reconnect
    /// token (hash given by the caller).
    Duplicate(Integration),
}

#[derive(Default)]
pub struct IntegrationFilter {
    pub team_id: Option<TeamId>,
    pub platform_names: Option<Vec<String>>,
    pub enabled: Option<bool>,
    pub condition: Option<Condition>,
}

/// Fields an update may change; `None` leaves one as it is.
#[derive(Default)]
pub struct UpdateFields {
    pub name: Option<IntegrationName>,
    pub enabled: Option<bool>,
}

fn select_by(predicate: &str) -> String {
    format!("SELECT {COLUMNS} FROM {VIEW} WHERE {predicate}")
}

pub(super) async fn fetch_by_id(
    conn: &mut PgConnection,
    id: IntegrationId,
    lock: bool,
) -> Result<Option<Integration>, StoreError> {
    if lock {
        // Row locks cannot go through the view's outer join: take it on the table.
        sqlx::query("SELECT 1 FROM integrations WHERE id = $1 FOR UPDATE")
            .bind(id.as_uuid())
            .execute(&mut *conn)
            .await?;
    }
    let row: Option<IntegrationRow> = sqlx::query_as(&select_by("id = $1"))
        .bind(id.as_uuid())
        .fetch_optional(conn)
        .await?;
    row.map(Integration::try_from).transpose()
}

impl Store {
    pub async fn get_integration(
        &self,
        id: IntegrationId,
    ) -> Result<Option<Integration>, StoreError> {
        retrying("get_integration", || async move {
            let mut conn = self.pool.acquire().await?;
            fetch_by_id(&mut conn, id, false).await
        })
        .await
    }

    /// Creates the integration, or, when the team already has one for this workspace, keeps
    /// the fresh tokens under `reconnect` and reports the existing one. Race-safe: the
    /// unique index decides (`ON CONFLICT`), never a prior read.
    pub async fn install(
        &self,
        new: &NewIntegration,
        reconnect: &NewReconnect,
    ) -> Result<InstallOutcome, StoreError> {
        retrying("install", || async move {
            let mut tx = self.pool.begin().await?;
            let inst = &new.installation;
            let sql = "INSERT INTO integrations (id, team_id, platform_name, workspace_id, name,
                     workspace_name, enterprise_id, enterprise_name, is_enterprise_install,
                     bot_user_id, bot_id, app_id, scopes, access_token_enc, refresh_token_enc,
                     token_expire_time)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                 ON CONFLICT ON CONSTRAINT integrations_one_per_team_workspace DO NOTHING
                 RETURNING id";
            let insert = sqlx::query_scalar(sql)
                .bind(new.id.as_uuid())
                .bind(new.team_id.as_str())
                .bind(crate::domain::SLACK)
                .bind(&inst.workspace_id)
                .bind(new.name.as_str());
            let created: Option<Uuid> = bind_installation(insert, inst)
                .bind(&new.tokens.access_token_enc)
                .bind(&new.tokens.refresh_token_enc)
                .bind(new.tokens.token_expire_time)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(id) = created {
                let integration = fetch_by_id(&mut tx, IntegrationId::from_uuid(id), false)
                    .await?
                    .ok_or(StoreError::Internal(sqlx::Error::RowNotFound))?;
                audit::record(
                    &mut tx,
                    integration.id,
                    &integration.team_id,
                    &inst.workspace_id,
                    AuditAction::Created,
                    serde_json::json!({ "enterprise_install": inst.is_enterprise_install }),
                )
                .await?;
                event_log::append_for(
                    &mut tx,
                    &integration.team_id,
                    integration.id,
                    EventPayload::integration_created(&integration),
                )
                .await?;
                tx.commit().await?;
                return Ok(InstallOutcome::Created(integration));
            }

            // The conflicting row is committed (ON CONFLICT waited for it), so this
            // statement sees it, unless it was deleted in between: then start over.
            let existing: Option<IntegrationRow> = sqlx::query_as(&select_by(
                "team_id = $1 AND platform_name = $2 AND workspace_id = $3",
            ))
            .bind(new.team_id.as_str())
            .bind(crate::domain::SLACK)
            .bind(&inst.workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(existing) = existing else {
                return Err(StoreError::Unavailable(sqlx::Error::RowNotFound));
            };
            let existing = Integration::try_from(existing)?;
            oauth::insert_reconnect(&mut tx, existing.id, inst, &new.tokens, reconnect).await?;
            audit::record(
                &mut tx,
                existing.id,
                &existing.team_id,
                &inst.workspace_id,
                AuditAction::DuplicateAttempt,
                serde_json::json!({}),
            )
            .await?;
            event_log::append_for(
                &mut tx,
                &existing.team_id,
                existing.id,
                EventPayload::duplicate_attempt(&inst.workspace_id),
            )
            .await?;
            tx.commit().await?;
            Ok(InstallOutcome::Duplicate(existing))
        })
        .await
    }

    /// Puts fresh tokens on an integration of the same workspace: the condition is reset,
    /// `connect_time` moves, `reconnect_count` goes up. `None` when no such integration.
    pub async fn apply_tokens(
        &self,
        id: IntegrationId,
        installation: &Installation,
        tokens: &TokenSet,
    ) -> Result<Option<Integration>, StoreError> {
        retrying("apply_tokens", || async move {
            let mut tx = self.pool.begin().await?;
            let updated = apply_tokens_in(&mut tx, id, installation, tokens).await?;
            tx.commit().await?;
            Ok(updated)
        })
        .await
    }

    /// Consumes a reconnect token (single use) and applies the tokens it holds, in one
    /// transaction, under `request` when the caller gave a request id. `None` when the
    /// token is unknown, used, expired or for another integration (then it is left as it
    /// was), or, for a repeat, when the integration is gone.
    pub async fn reconnect_with(
        &self,
        id: IntegrationId,
        token_hash: &[u8],
        request: Option<&RequestKey>,
    ) -> Result<Idempotent<Option<Integration>>, StoreError> {
        retrying("reconnect_with", || async move {
            let mut tx = self.pool.begin().await?;
            if let Some(key) = request {
                match requests::take(&mut tx, key).await? {
                    Seen::New => {}
                    Seen::Reused => return Ok(Idempotent::Reused),
                    Seen::Repeat(_) => {
                        return Ok(Idempotent::Repeat(fetch_by_id(&mut tx, id, false).await?));
                    }
                }
            }
            let Some(held) = oauth::take_reconnect(&mut tx, id, token_hash).await? else {
                return Ok(Idempotent::Done(None));
            };
            let updated = apply_tokens_in(&mut tx, id, &held.installation, &held.tokens).await?;
            if let (Some(key), Some(_)) = (request, &updated) {
                requests::answer(&mut tx, key, id.as_uuid()).await?;
            }
            tx.commit().await?;
            Ok(Idempotent::Done(updated))
        })
        .await
    }

    pub async fn list_integrations(
        &self,
        filter: &IntegrationFilter,
        after: Option<(DateTime<Utc>, IntegrationId)>,
        limit: i64,
    ) -> Result<(Vec<Integration>, i64), StoreError> {
        retrying("list_integrations", || async move {
            let mut conn = self.pool.acquire().await?;
            let mut count = QueryBuilder::new("SELECT count(*) FROM integrations WHERE true");
            push_filter(&mut count, filter);
            let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;

            let mut page = QueryBuilder::new(format!("SELECT {COLUMNS} FROM {VIEW} WHERE true"));
            push_filter(&mut page, filter);
            push_page(&mut page, after, limit);
            let rows: Vec<IntegrationRow> = page.build_query_as().fetch_all(&mut *conn).await?;
            let items = rows
                .into_iter()
                .map(Integration::try_from)
                .collect::<Result<Vec<_>, _>>()?;
            Ok((items, total))
        })
        .await
    }

    /// Changes name and/or enabled, recording each real change. `None` when not found.
    pub async fn update_integration(
        &self,
        id: IntegrationId,
        fields: &UpdateFields,
    ) -> Result<Option<Integration>, StoreError> {
        retrying("update_integration", || async move {
            let mut tx = self.pool.begin().await?;
            let Some(before) = fetch_by_id(&mut tx, id, true).await? else {
                return Ok(None);
            };
            let status = event_hooks::status_before(&mut tx, id).await?;
            let sql = "UPDATE integrations SET name = COALESCE($2, name),
                     enabled = COALESCE($3, enabled), update_time = now()
                 WHERE id = $1";
            sqlx::query(sql)
                .bind(id.as_uuid())
                .bind(fields.name.as_ref().map(IntegrationName::as_str))
                .bind(fields.enabled)
                .execute(&mut *tx)
                .await?;
            let after = fetch_by_id(&mut tx, id, false)
                .await?
                .ok_or(StoreError::Internal(sqlx::Error::RowNotFound))?;
            let workspace = after.workspace_id.as_str().to_owned();
            if before.enabled != after.enabled {
                let action = if after.enabled {
                    AuditAction::Enabled
                } else {
                    AuditAction::Disabled
                };
                audit::record(
                    &mut tx,
                    id,
                    &after.team_id,
                    &workspace,
                    action,
                    serde_json::json!({}),
                )
                .await?;
            }
            if before.name != after.name {
                audit::record(
                    &mut tx,
                    id,
                    &after.team_id,
                    &workspace,
                    AuditAction::Renamed,
                    serde_json::json!({ "from": before.name.as_str(), "to": after.name.as_str() }),
                )
                .await?;
            }
            event_hooks::status_changed(
                &mut tx,
                id,
                status,
                if after.enabled { "enabled" } else { "disabled" },
            )
            .await?;
            tx.commit().await?;
            Ok(Some(after))
        })
        .await
    }

    /// Deletes the integration (its reconnect tokens and states go with it) and returns the
    /// encrypted access token, so the caller can revoke it. `None` when not found.
    pub async fn delete_integration(
        &self,
        id: IntegrationId,
    ) -> Result<Option<(Integration, Vec<u8>)>, StoreError> {
        retrying("delete_integration", || async move {
            let mut tx = self.pool.begin().await?;
            let Some(integration) = fetch_by_id(&mut tx, id, true).await? else {
                return Ok(None);
            };
            let token: Vec<u8> = sqlx::query_scalar(
                "DELETE FROM integrations WHERE id = $1 RETURNING access_token_enc",
            )
            .bind(id.as_uuid())
            .fetch_one(&mut *tx)
            .await?;
            // Queued messages of a deleted integration will never be sent.
            sqlx::query(&format!(
                "UPDATE deliveries SET state = $2, last_error = $3, finish_time = now()
                 WHERE integration_id = $1 AND state IN {PENDING_STATES}"
            ))
            .bind(id.as_uuid())
            .bind(DeliveryState::Cancelled)
            .bind(DeliveryFailure::IntegrationDeleted.to_string())
            .execute(&mut *tx)
            .await?;
            audit::record(
                &mut tx,
                id,
                &integration.team_id,
                integration.workspace_id.as_str(),
                AuditAction::Deleted,
                serde_json::json!({}),
            )
            .await?;
            event_log::append_for(
                &mut tx,
                &integration.team_id,
                id,
                EventPayload::integration_deleted(&integration),
            )
            .await?;
            tx.commit().await?;
            Ok(Some((integration, token)))
        })
        .await
    }
}

async fn apply_tokens_in(
    conn: &mut PgConnection,
    id: IntegrationId,
    inst: &Installation,
    tokens: &TokenSet,
) -> Result<Option<Integration>, StoreError> {
    let status = event_hooks::status_before(&mut *conn, id).await?;
    let sql = "UPDATE integrations SET access_token_enc = $3, refresh_token_enc = $4,
             token_expire_time = $5, workspace_name = $6, enterprise_id = $7,
             enterprise_name = $8, is_enterprise_install = $9, bot_user_id = $10, bot_id = $11,
             app_id = $12, scopes = $13, condition = $14, status_reason = NULL,
             connect_time = now(), update_time = now(), reconnect_count = reconnect_count + 1
         WHERE id = $1 AND workspace_id = $2
         RETURNING id";
    let update = sqlx::query_scalar(sql)
        .bind(id.as_uuid())
        .bind(&inst.workspace_id)
        .bind(&tokens.access_token_enc)
        .bind(&tokens.refresh_token_enc)
        .bind(tokens.token_expire_time);
    let updated: Option<Uuid> = bind_installation(update, inst)
        .bind(Condition::Healthy)
        .fetch_optional(&mut *conn)
        .await?;
    if updated.is_none() {
        return Ok(None);
    }
    let integration = fetch_by_id(&mut *conn, id, false)
        .await?
        .ok_or(StoreError::Internal(sqlx::Error::RowNotFound))?;
    audit::record(
        &mut *conn,
        id,
        &integration.team_id,
        &inst.workspace_id,
        AuditAction::Reconnected,
        serde_json::json!({ "reconnect_count": integration.reconnect_count }),
    )
    .await?;
    event_log::append_for(
        &mut *conn,
        &integration.team_id,
        id,
        EventPayload::integration_reconnected(&integration),
    )
    .await?;
    event_hooks::status_changed(conn, id, status, "reconnected").await?;
    Ok(Some(integration))
}

/// Binds what an installation says of the workspace and the bot as `$6` to `$13`, where
/// both the insert (`install`) and the token update (`apply_tokens_in`) take them.
fn bind_installation<'q>(
    query: QueryScalar<'q, Postgres, Uuid, PgArguments>,
    inst: &'q Installation,
) -> QueryScalar<'q, Postgres, Uuid, PgArguments> {
    query
        .bind(&inst.workspace_name)
        .bind(&inst.enterprise_id)
        .bind(&inst.enterprise_name)
        .bind(inst.is_enterprise_install)
        .bind(&inst.bot_user_id)
        .bind(&inst.bot_id)
        .bind(&inst.app_id)
        .bind(&inst.scopes)
}

fn push_filter(query: &mut QueryBuilder<'_, Postgres>, filter: &IntegrationFilter) {
    if let Some(team) = &filter.team_id {
        query
            .push(" AND team_id = ")
            .push_bind(team.as_str().to_owned());
    }
    if let Some(platforms) = &filter.platform_names {
        query
            .push(" AND platform_name = ANY(")
            .push_bind(platforms.clone())
            .push(")");
    }
    if let Some(enabled) = filter.enabled {
        query.push(" AND enabled = ").push_bind(enabled);
    }
    if let Some(condition) = filter.condition {
        query.push(" AND condition = ").push_bind(condition);
    }
}
