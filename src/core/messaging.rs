//! Sending: validation has happened; here messages are committed to the outbox
//! (idempotently) and, when asked, waited on.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::{
    Core, CoreError,
    integrations::RESOURCE_PAGE,
    page_token::TimeCursor,
    requests::{request_key, settled},
};
use crate::{
    domain::{
        Caller, ChannelId, ChannelState, Delivery, DeliveryId, DeliveryKind, DeliveryState,
        Integration, IntegrationId, IntegrationStatus, InternalMessageId, MessageType,
        OutboundMessage, RequestId,
    },
    slack::ThreadMessage,
    store::{Enqueued, NewDelivery, NewPost},
    telemetry::TraceContext,
};

/// How often a waiting caller looks at its delivery.
const WAIT_POLL: Duration = Duration::from_millis(25);

/// ValidateMessagingCapability's answer.
pub struct Capability {
    pub can_send: bool,
    pub integration_active: bool,
    pub channel_configured: bool,
    /// Empty when `can_send`.
    pub reason: String,
}

/// UpdateMessage (`replacement` set) or DeleteMessage.
pub struct EditRequest {
    pub integration_id: IntegrationId,
    pub internal_message_id: InternalMessageId,
    pub replacement: Option<OutboundMessage>,
    pub request_id: Option<RequestId>,
    /// Return when the change is final or by this instant, whichever comes first.
    pub wait_until: Option<Instant>,
}

pub struct SendRequest {
    pub integration_id: IntegrationId,
    pub message: OutboundMessage,
    pub internal_message_id: Option<InternalMessageId>,
    pub message_type: Option<MessageType>,
    /// Reply to this message (in its thread) instead of posting in the channel.
    pub parent_internal_message_id: Option<InternalMessageId>,
    /// Return when the delivery is final or by this instant, whichever comes first.
    pub wait_until: Option<Instant>,
}

/// The caller's message `id` is not (or no longer: see retention) among the deliveries.
fn not_found(id: &InternalMessageId) -> CoreError {
    CoreError::MessageNotFound {
        internal_message_id: id.to_string(),
    }
}

/// The post `request` makes (not a reply), for the one-statement paths; the caller keeps
/// its payload (`payload_of`).
pub(super) fn post_of<'a>(
    request: &SendRequest,
    internal_message_id: InternalMessageId,
    payload: &'a serde_json::Value,
) -> Result<NewPost<'a>, CoreError> {
    let payload_bytes =
        serde_json::to_vec(payload).map_err(|e| CoreError::Internal(Box::new(e)))?;
    Ok(NewPost {
        id: DeliveryId::new(),
        integration_id: request.integration_id,
        internal_message_id,
        payload_hash: payload_hash(
            DeliveryKind::Post,
            None,
            request.message_type.as_ref(),
            &payload_bytes,
        ),
        message_type: request.message_type.clone(),
        payload,
        trace: TraceContext::current(),
    })
}

/// The message as stored and sent.
pub(super) fn payload_of(request: &SendRequest) -> Result<serde_json::Value, CoreError> {
    serde_json::to_value(&request.message).map_err(|e| CoreError::Internal(Box::new(e)))
}

fn payload_hash(
    kind: DeliveryKind,
    parent: Option<&InternalMessageId>,
    message_type: Option<&MessageType>,
    payload: &[u8],
) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(kind.as_str());
    hash.update([0]);
    hash.update(parent.map(InternalMessageId::as_str).unwrap_or_default());
    hash.update([0]);
    hash.update(message_type.map(MessageType::as_str).unwrap_or_default());
    hash.update([0]);
    hash.update(payload);
    hash.finalize().to_vec()
}

impl Core {
    /// SendMessage and ReplyToMessage.
    #[tracing::instrument(name = "core.send_message", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        integration_id = %request.integration_id,
    ))]
    pub async fn send_message(
        &self,
        caller: &Caller,
        request: SendRequest,
    ) -> Result<Delivery, CoreError> {
        let payload = payload_of(&request)?;
        let internal_message_id = request
            .internal_message_id
            .clone()
            .unwrap_or_else(InternalMessageId::generate);
        if request.parent_internal_message_id.is_none() {
            // The common case in one statement; the checks below only explain a refusal.
            let post = post_of(&request, internal_message_id.clone(), &payload)?;
            if let Some(enqueued) = self.store.enqueue_post(&post, caller.team()).await? {
                return self.enqueued(enqueued, request.wait_until).await;
            }
        }
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
                (DeliveryKind::Post, channel.channel_id.clone())
            }
            Some(parent_id) => {
                // A thread lives in its parent's channel, whatever the channel is now.
                let parent = self.sent_message(&integration, parent_id).await?;
                (DeliveryKind::Reply, parent.channel_id)
            }
        };
        let new = self.new_delivery(
            &integration,
            kind,
            channel_id,
            internal_message_id,
            request.parent_internal_message_id.clone(),
            request.message_type.clone(),
            payload,
            None,
        )?;
        let Some(enqueued) = self.store.enqueue(&new).await? else {
            // Only a reply meets this: its parent was removed by retention since found.
            let parent = new.parent_internal_message_id.as_ref();
            return Err(not_found(parent.unwrap_or(&new.internal_message_id)));
        };
        self.enqueued(enqueued, request.wait_until).await
    }

    pub(super) async fn enqueued(
        &self,
        enqueued: Enqueued,
        wait_until: Option<Instant>,
    ) -> Result<Delivery, CoreError> {
        let delivery = match enqueued {
            Enqueued::Created(delivery) => {
                crate::metrics::metrics()
                    .deliveries
                    .with_label_values(&["queued"])
                    .inc();
                delivery
            }
            Enqueued::Existing(delivery) => delivery,
            Enqueued::Conflict(existing) => {
                return Err(CoreError::MessageAlreadyExists {
                    delivery_id: existing.id.to_string(),
                });
            }
        };
        Ok(self.maybe_wait(delivery, wait_until).await)
    }

    #[allow(clippy::too_many_arguments)]
    fn new_delivery(
        &self,
        integration: &Integration,
        kind: DeliveryKind,
        channel_id: ChannelId,
        internal_message_id: InternalMessageId,
        parent_internal_message_id: Option<InternalMessageId>,
        message_type: Option<MessageType>,
        payload: serde_json::Value,
        target_delivery_id: Option<DeliveryId>,
    ) -> Result<NewDelivery, CoreError> {
        let payload_bytes =
            serde_json::to_vec(&payload).map_err(|e| CoreError::Internal(Box::new(e)))?;
        Ok(NewDelivery {
            id: DeliveryId::new(),
            integration_id: integration.id,
            team_id: integration.team_id.clone(),
            workspace_id: integration.workspace_id.clone(),
            channel_id,
            kind,
            payload_hash: payload_hash(
                kind,
                parent_internal_message_id.as_ref(),
                message_type.as_ref(),
                &payload_bytes,
            ),
            internal_message_id,
            parent_internal_message_id,
            message_type,
            payload,
            target_delivery_id,
            trace: TraceContext::current(),
        })
    }

    pub(super) async fn maybe_wait(
        &self,
        delivery: Delivery,
        wait_until: Option<Instant>,
    ) -> Delivery {
        match wait_until {
            Some(until) if !delivery.state.is_final() => self.wait_for(delivery, until).await,
            _ => delivery,
        }
    }

    /// A post or reply sent through this integration, by the caller's id.
    async fn sent_message(
        &self,
        integration: &Integration,
        internal_message_id: &InternalMessageId,
    ) -> Result<Delivery, CoreError> {
        self.store
            .find_message(integration.id, internal_message_id)
            .await?
            .ok_or_else(|| not_found(internal_message_id))
    }

    /// UpdateMessage (`Some(message)`) and DeleteMessage (`None`): queued behind the post
    /// they change, in its channel. Each call is one change, unless it repeats an earlier
    /// call's `request_id`; a message already being deleted is not deleted twice.
    #[tracing::instrument(name = "core.edit_message", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        integration_id = %edit.integration_id,
    ))]
    pub async fn edit_message(
        &self,
        caller: &Caller,
        edit: EditRequest,
    ) -> Result<Delivery, CoreError> {
        let integration = self.active_integration(caller, edit.integration_id).await?;
        let target = self
            .sent_message(&integration, &edit.internal_message_id)
            .await?;
        let (kind, method, payload) = match &edit.replacement {
            Some(message) => (
                DeliveryKind::Update,
                "UpdateMessage",
                serde_json::to_value(message).map_err(|e| CoreError::Internal(Box::new(e)))?,
            ),
            None => (DeliveryKind::Delete, "DeleteMessage", serde_json::json!({})),
        };
        let new = self.new_delivery(
            &integration,
            kind,
            target.channel_id.clone(),
            target.internal_message_id.clone(),
            None,
            target.message_type.clone(),
            payload,
            Some(target.id),
        )?;
        let request = edit.request_id.as_ref().map(|request_id| {
            request_key(
                caller,
                method,
                request_id,
                &[
                    integration.id.as_uuid().as_bytes(),
                    target.id.as_uuid().as_bytes(),
                    &new.payload_hash,
                ],
            )
        });
        let outcome = self
            .store
            .enqueue_edit(&new, request.as_ref())
            .await?
            .ok_or_else(|| not_found(&edit.internal_message_id))?;
        let delivery = settled(outcome, edit.request_id.as_ref())?;
        Ok(self.maybe_wait(delivery, edit.wait_until).await)
    }

    /// The thread a message belongs to, from Slack (`conversations.replies`).
    #[tracing::instrument(name = "core.get_message_thread", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        integration_id = %integration_id,
    ))]
    pub async fn get_message_thread(
        &self,
        caller: &Caller,
        integration_id: IntegrationId,
        internal_message_id: &InternalMessageId,
    ) -> Result<Vec<ThreadMessage>, CoreError> {
        let integration = self.get_integration(caller, integration_id).await?;
        let message = self.sent_message(&integration, internal_message_id).await?;
        let root = match (
            &message.state,
            message.thread_ts.clone().or(message.slack_ts.clone()),
        ) {
            (DeliveryState::Sent, Some(root)) => root,
            _ => {
                return Err(CoreError::MessageNotDelivered {
                    internal_message_id: internal_message_id.to_string(),
                });
            }
        };
        let token = self.access_token(&integration).await?;
        self.slack
            .conversations_replies(&token, message.channel_id.as_str(), &root)
            .await
            .map_err(CoreError::from_slack)
    }

    /// Whether a message sent now would go out, and if not, why. The token check counts
    /// as a health check: a dead token makes the integration REVOKED here too.
    #[tracing::instrument(name = "core.validate_messaging_capability", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        integration_id = %integration_id,
    ))]
    pub async fn validate_messaging_capability(
        &self,
        caller: &Caller,
        integration_id: IntegrationId,
    ) -> Result<Capability, CoreError> {
        let integration = self.get_integration(caller, integration_id).await?;
        let was_active = integration.status() == IntegrationStatus::Active;
        let token_problem = self.test_token(&integration).await.err().map(|e| e.label());
        let integration = match token_problem {
            Some(_) => self.get_integration(caller, integration_id).await?,
            None => integration,
        };
        let integration_active = integration.status() == IntegrationStatus::Active;
        let channel = integration.notification_channel.as_ref();
        let channel_configured = channel.is_some_and(|c| c.state == ChannelState::Ready);
        let reason = if !was_active {
            format!(
                "integration_{}",
                integration.status_reason().unwrap_or("not_active")
            )
        } else if let Some(problem) = &token_problem {
            problem.clone()
        } else if let Some(c) = channel.filter(|c| c.state != ChannelState::Ready) {
            format!("notification_channel_{}", c.state.as_str())
        } else if channel.is_none() {
            "notification_channel_not_set".to_owned()
        } else {
            String::new()
        };
        Ok(Capability {
            can_send: integration_active && channel_configured && token_problem.is_none(),
            integration_active,
            channel_configured,
            reason,
        })
    }

    /// Waits until the delivery is final or `until`; either way answers its latest state.
    async fn wait_for(&self, delivery: Delivery, until: Instant) -> Delivery {
        loop {
            let now = Instant::now();
            if now >= until {
                break;
            }
            tokio::time::sleep(WAIT_POLL.min(until - now)).await;
            match crate::deadline::within(self.store.delivery_state(delivery.id)).await {
                Some(Ok(Some(state))) if state.is_final() => break,
                Some(Ok(_)) => {}
                // The delivery is committed; a hiccup here only ends the wait early.
                Some(Err(err)) => {
                    tracing::warn!(error = %err, "stopped waiting for a delivery");
                    break;
                }
                None => break,
            }
        }
        // Committed either way: when its state cannot be read now, the last one known does.
        match self.store.get_delivery(delivery.id).await {
            Ok(Some(latest)) => latest,
            _ => delivery,
        }
    }

    #[tracing::instrument(name = "core.get_delivery", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        delivery_id = %id,
    ))]
    pub async fn get_delivery(
        &self,
        caller: &Caller,
        id: DeliveryId,
    ) -> Result<Delivery, CoreError> {
        let found = self.store.get_delivery(id).await?;
        match (caller, found) {
            (Caller::Team(team), Some(d)) if d.team_id != *team => Err(CoreError::PermissionDenied),
            (_, Some(d)) => Ok(d),
            (Caller::Team(_), None) => Err(CoreError::PermissionDenied),
            (Caller::Service, None) => Err(CoreError::NotFound {
                resource: super::Resource::Delivery,
                id: id.to_string(),
            }),
        }
    }

    #[tracing::instrument(name = "core.list_deliveries", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        integration_id = %integration_id,
    ))]
    pub async fn list_deliveries(
        &self,
        caller: &Caller,
        integration_id: IntegrationId,
        state: Option<DeliveryState>,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<Delivery>, Option<String>), CoreError> {
        let page_size = RESOURCE_PAGE
            .resolve(page_size)
            .map_err(CoreError::invalid)?;
        let fingerprint = format!("integration={integration_id};state={state:?}");
        let after = self
            .pages
            .position::<TimeCursor>(page_token, &fingerprint)
            .map_err(CoreError::invalid)?
            .map(|c| (c.time, DeliveryId::from_uuid(c.id)));
        self.get_integration(caller, integration_id).await?;
        let mut deliveries = self
            .store
            .list_deliveries(integration_id, state, after, page_size as i64 + 1)
            .await?;
        let next = self
            .pages
            .next_page(&mut deliveries, page_size, &fingerprint, |last| {
                TimeCursor {
                    time: last.create_time,
                    id: last.id.as_uuid(),
                }
            });
        Ok((deliveries, next))
    }
}
