//! Sending: validation has happened; here messages are committed to the outbox
//! (idempotently) and, when asked, waited on.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Core, CoreError};
use crate::{
    domain::{
        Caller, ChannelState, Delivery, DeliveryKind, DeliveryState, FieldViolation, IntegrationId,
        OutboundMessage,
    },
    store::{Enqueued, NewDelivery},
};

/// How often a waiting caller looks at its delivery.
const WAIT_POLL: Duration = Duration::from_millis(25);

pub struct SendRequest {
    pub integration_id: IntegrationId,
    pub message: OutboundMessage,
    pub internal_message_id: Option<String>,
    pub message_type: Option<String>,
    /// Reply to this message (in its thread) instead of posting in the channel.
    pub parent_internal_message_id: Option<String>,
    /// Return when the delivery is final or by this instant, whichever comes first.
    pub wait_until: Option<Instant>,
}

#[derive(Serialize, Deserialize)]
struct DeliveryCursor {
    #[serde(rename = "t")]
    time: DateTime<Utc>,
    id: Uuid,
}

fn payload_hash(
    kind: DeliveryKind,
    parent: Option<&str>,
    message_type: Option<&str>,
    payload: &[u8],
) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(kind.as_str());
    hash.update([0]);
    hash.update(parent.unwrap_or_default());
    hash.update([0]);
    hash.update(message_type.unwrap_or_default());
    hash.update([0]);
    hash.update(payload);
    hash.finalize().to_vec()
}

impl Core {
    /// SendMessage and ReplyToMessage.
    pub async fn send_message(
        &self,
        caller: &Caller,
        request: SendRequest,
    ) -> Result<Delivery, CoreError> {
        let integration = self
            .active_integration(caller, request.integration_id)
            .await?;
        let (kind, channel_id) = match &request.parent_internal_message_id {
            None => {
                let channel = integration
                    .notification_channel
                    .as_ref()
                    .ok_or(CoreError::NoNotificationChannel)?;
                if channel.state != ChannelState::Ready {
                    return Err(CoreError::NotificationChannelUnavailable {
                        state: channel.state,
                    });
                }
                (DeliveryKind::Post, channel.channel_id.to_string())
            }
            Some(parent_id) => {
                // A thread lives in its parent's channel, whatever the channel is now.
                let parent = self
                    .store
                    .find_message(integration.id, parent_id)
                    .await?
                    .ok_or_else(|| CoreError::MessageNotFound {
                        internal_message_id: parent_id.clone(),
                    })?;
                (DeliveryKind::Reply, parent.channel_id)
            }
        };
        let payload =
            serde_json::to_value(&request.message).map_err(|e| CoreError::Internal(Box::new(e)))?;
        let payload_bytes =
            serde_json::to_vec(&payload).map_err(|e| CoreError::Internal(Box::new(e)))?;
        let new = NewDelivery {
            id: Uuid::new_v4(),
            integration_id: integration.id,
            team_id: integration.team_id.to_string(),
            workspace_id: integration.workspace_id.to_string(),
            channel_id,
            kind,
            internal_message_id: request
                .internal_message_id
                .clone()
                .unwrap_or_else(|| Uuid::new_v4().to_string()),
            parent_internal_message_id: request.parent_internal_message_id.clone(),
            message_type: request.message_type.clone(),
            payload_hash: payload_hash(
                kind,
                request.parent_internal_message_id.as_deref(),
                request.message_type.as_deref(),
                &payload_bytes,
            ),
            payload,
        };
        let delivery = match self.store.enqueue(&new).await? {
            Enqueued::Created(delivery) | Enqueued::Existing(delivery) => delivery,
            Enqueued::Conflict(existing) => {
                return Err(CoreError::MessageAlreadyExists {
                    delivery_id: existing.id.to_string(),
                });
            }
        };
        match request.wait_until {
            Some(until) if !delivery.state.is_final() => self.wait_for(delivery, until).await,
            _ => Ok(delivery),
        }
    }

    /// Waits until the delivery is final or `until`; either way answers its current state.
    async fn wait_for(&self, delivery: Delivery, until: Instant) -> Result<Delivery, CoreError> {
        loop {
            let now = Instant::now();
            if now >= until {
                break;
            }
            tokio::time::sleep(WAIT_POLL.min(until - now)).await;
            match self.store.delivery_state(delivery.id).await {
                Ok(Some(state)) if state.is_final() => break,
                Ok(_) => {}
                // The delivery is committed; a hiccup here only ends the wait early.
                Err(err) => {
                    tracing::warn!(error = %err, "stopped waiting for a delivery");
                    break;
                }
            }
        }
        Ok(self
            .store
            .get_delivery(delivery.id)
            .await?
            .unwrap_or(delivery))
    }

    pub async fn get_delivery(&self, caller: &Caller, id: Uuid) -> Result<Delivery, CoreError> {
        let found = self.store.get_delivery(id).await?;
        match (caller, found) {
            (Caller::Team(team), Some(d)) if d.team_id != team.as_str() => {
                Err(CoreError::PermissionDenied)
            }
            (_, Some(d)) => Ok(d),
            (Caller::Team(_), None) => Err(CoreError::PermissionDenied),
            (Caller::Service, None) => Err(CoreError::NotFound {
                resource: "delivery",
                id: id.to_string(),
            }),
        }
    }

    pub async fn list_deliveries(
        &self,
        caller: &Caller,
        integration_id: IntegrationId,
        state: Option<DeliveryState>,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<Delivery>, Option<String>), CoreError> {
        if page_size < 0 {
            return Err(CoreError::invalid(FieldViolation::new(
                "page_size",
                "must not be negative",
            )));
        }
        let page_size = match page_size {
            0 => super::integrations::DEFAULT_PAGE_SIZE,
            n => n.min(super::integrations::MAX_PAGE_SIZE),
        } as usize;
        let fingerprint = format!("integration={integration_id};state={state:?}");
        let after = match page_token {
            "" => None,
            token => {
                let cursor: DeliveryCursor = self
                    .pages
                    .decode(token, &fingerprint)
                    .map_err(CoreError::invalid)?;
                Some((cursor.time, cursor.id))
            }
        };
        self.get_integration(caller, integration_id).await?;
        let mut deliveries = self
            .store
            .list_deliveries(integration_id, state, after, page_size as i64 + 1)
            .await?;
        let next = if deliveries.len() > page_size {
            deliveries.truncate(page_size);
            deliveries.last().map(|last| {
                self.pages.encode(
                    &DeliveryCursor {
                        time: last.create_time,
                        id: last.id,
                    },
                    &fingerprint,
                )
            })
        } else {
            None
        };
        Ok((deliveries, next))
    }
}
