//! Slack interactions (button clicks) on messages switchboard sent: remembered against
//! replays and appended to the event log in one transaction.

use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::{Store, StoreError, event_log::append_for, retrying};
use crate::domain::{BlockActions, EventPayload, IntegrationId, TeamId, event::SlackInteraction};

/// Prefix of interaction keys in `slack_events`, apart from Events API event ids.
const KEY_PREFIX: &str = "interaction:";

/// What became of an interaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InteractionOutcome {
    /// One `slack.interaction` event per action was appended.
    Recorded { events: usize },
    /// Seen before (Slack's retry, or a replay): nothing appended.
    Replayed,
    /// Not on a message switchboard sent in a workspace it knows: nothing appended.
    NotOurs,
}

/// The delivery a message came from.
#[derive(FromRow)]
struct DeliveryOf {
    id: Uuid,
    integration_id: Uuid,
    team_id: String,
    workspace_id: String,
    internal_message_id: String,
}

impl Store {
    /// Records `interaction` under `key` (its `replay_key`, or the request's signature) and
    /// appends its events, all in one transaction: a replay finds the key and appends none.
    pub async fn record_interaction(
        &self,
        key: &str,
        interaction: &BlockActions,
    ) -> Result<InteractionOutcome, StoreError> {
        let key = format!("{KEY_PREFIX}{key}");
        let workspace = interaction.workspaces.first().cloned().unwrap_or_default();
        retrying("record_interaction", || {
            let (key, workspace) = (&key, &workspace);
            async move {
                let mut tx = self.pool.begin().await?;
                let first = sqlx::query(
                    "INSERT INTO slack_events (event_id, workspace_id, event_type, event_time)
                     VALUES ($1, $2, 'block_actions', now()) ON CONFLICT (event_id) DO NOTHING",
                )
                .bind(key)
                .bind(workspace)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if !first {
                    return Ok(InteractionOutcome::Replayed);
                }
                let Some(delivery) = delivery_of(&mut tx, interaction).await? else {
                    tx.commit().await?;
                    return Ok(InteractionOutcome::NotOurs);
                };
                let team = TeamId::from_trusted(delivery.team_id.clone());
                let integration = IntegrationId::from_uuid(delivery.integration_id);
                for action in &interaction.actions {
                    let payload = EventPayload::SlackInteraction(SlackInteraction {
                        action_id: action.action_id.clone(),
                        block_id: action.block_id.clone(),
                        value: action.value(),
                        user_id: interaction.user_id.clone(),
                        channel_id: interaction.channel_id.clone(),
                        message_ts: interaction.message_ts.clone(),
                        delivery_id: delivery.id.to_string(),
                        internal_message_id: delivery.internal_message_id.clone(),
                        workspace_id: delivery.workspace_id.clone(),
                    });
                    append_for(&mut tx, &team, integration, payload).await?;
                }
                tx.commit().await?;
                Ok(InteractionOutcome::Recorded {
                    events: interaction.actions.len(),
                })
            }
        })
        .await
    }
}

/// The post or reply the interaction's message is, in one of its workspaces and of an
/// integration that still exists: by the delivery id of the message metadata, else by
/// where the message is (channel and ts). The workspace must match either way, so a
/// message of another workspace cannot name a delivery it does not own.
async fn delivery_of(
    conn: &mut PgConnection,
    interaction: &BlockActions,
) -> Result<Option<DeliveryOf>, StoreError> {
    let by_metadata = interaction
        .delivery_id
        .as_deref()
        .and_then(|id| Uuid::parse_str(id).ok());
    let found = sqlx::query_as(
        "SELECT d.id, d.integration_id, i.team_id, d.workspace_id, d.internal_message_id
         FROM deliveries d JOIN integrations i ON i.id = d.integration_id
         WHERE d.workspace_id = ANY($1) AND d.kind IN ('post', 'reply')
           AND (d.id = $2 OR ($2 IS NULL AND d.channel_id = $3 AND d.slack_ts = $4))
         LIMIT 1",
    )
    .bind(&interaction.workspaces)
    .bind(by_metadata)
    .bind(&interaction.channel_id)
    .bind(&interaction.message_ts)
    .fetch_optional(conn)
    .await?;
    Ok(found)
}
