//! EventService: the event log as pages and as a live stream. Webhook subscriptions are
//! answered UNIMPLEMENTED until their implementation lands (being built on this branch).

use std::pin::Pin;

use futures_util::{Stream, StreamExt};
use tokio::sync::watch;
use tonic::{Request, Response, Status};

use super::{Violations, caller, convert::timestamp, optional};
use crate::{
    core::{Core, EventBell, EventQuery},
    domain::{EventCursor, EventPayload, TeamId},
    proto::v1::{self, event::Payload, event_service_server::EventService},
    store::StoredEvent,
};

pub struct EventApi {
    core: Core,
    bell: EventBell,
    /// Turns true when the server shuts down: open streams end so shutdown does not wait.
    stop: watch::Receiver<bool>,
}

impl EventApi {
    pub fn new(core: Core, bell: EventBell, stop: watch::Receiver<bool>) -> Self {
        Self { core, bell, stop }
    }
}

/// The proto enum value named `{prefix}_{NAME}` for a stored lower-case name.
fn enum_value(prefix: &str, name: &str, parse: fn(&str) -> Option<i32>) -> i32 {
    parse(&format!("{prefix}_{}", name.to_uppercase())).unwrap_or_default()
}

fn status(name: &str) -> i32 {
    enum_value("INTEGRATION_STATUS", name, |n| {
        v1::IntegrationStatus::from_str_name(n).map(|v| v as i32)
    })
}

fn channel_state(name: &str) -> i32 {
    enum_value("CHANNEL_STATE", name, |n| {
        v1::ChannelState::from_str_name(n).map(|v| v as i32)
    })
}

fn kind(name: &str) -> i32 {
    enum_value("DELIVERY_KIND", name, |n| {
        v1::DeliveryKind::from_str_name(n).map(|v| v as i32)
    })
}

fn payload_to_proto(payload: EventPayload) -> Payload {
    match payload {
        EventPayload::IntegrationCreated(p) => {
            Payload::IntegrationCreated(v1::IntegrationCreated {
                workspace_id: p.workspace_id,
                workspace_name: p.workspace_name,
                platform_name: p.platform_name,
            })
        }
        EventPayload::IntegrationReconnected(p) => {
            Payload::IntegrationReconnected(v1::IntegrationReconnected {
                workspace_id: p.workspace_id,
                reconnect_count: p.reconnect_count,
            })
        }
        EventPayload::IntegrationStatusChanged(p) => {
            Payload::IntegrationStatusChanged(v1::IntegrationStatusChanged {
                from: status(&p.from),
                to: status(&p.to),
                reason: p.reason,
            })
        }
        EventPayload::IntegrationDeleted(p) => {
            Payload::IntegrationDeleted(v1::IntegrationDeleted {
                workspace_id: p.workspace_id,
            })
        }
        EventPayload::IntegrationDuplicateAttempt(p) => {
            Payload::IntegrationDuplicateAttempt(v1::IntegrationDuplicateAttempt {
                workspace_id: p.workspace_id,
            })
        }
        EventPayload::ChannelSet(p) => Payload::ChannelSet(v1::ChannelSet {
            channel_id: p.channel_id,
            channel_name: p.channel_name,
        }),
        EventPayload::ChannelStateChanged(p) => {
            Payload::ChannelStateChanged(v1::ChannelStateChanged {
                channel_id: p.channel_id,
                channel_name: p.channel_name,
                from: channel_state(&p.from),
                to: channel_state(&p.to),
            })
        }
        EventPayload::ChannelCleared(p) => Payload::ChannelCleared(v1::ChannelCleared {
            channel_id: p.channel_id,
        }),
        EventPayload::DeliverySent(p) => Payload::DeliverySent(v1::DeliverySent {
            delivery_id: p.delivery_id,
            internal_message_id: p.internal_message_id,
            channel_id: p.channel_id,
            slack_ts: p.slack_ts,
            thread_ts: p.thread_ts,
            permalink: p.permalink,
            kind: kind(&p.kind),
        }),
        EventPayload::DeliveryFailed(p) => Payload::DeliveryFailed(v1::DeliveryFailed {
            delivery_id: p.delivery_id,
            internal_message_id: p.internal_message_id,
            channel_id: p.channel_id,
            reason: p.reason,
            attempts: p.attempts,
            kind: kind(&p.kind),
        }),
        EventPayload::SlackInteraction(p) => Payload::SlackInteraction(v1::SlackInteraction {
            action_id: p.action_id,
            block_id: p.block_id,
            value: p.value,
            user_id: p.user_id,
            channel_id: p.channel_id,
            message_ts: p.message_ts,
            delivery_id: p.delivery_id,
            internal_message_id: p.internal_message_id,
            workspace_id: p.workspace_id,
        }),
        EventPayload::WebhookSubscriptionDisabled(p) => {
            Payload::WebhookSubscriptionDisabled(v1::WebhookSubscriptionDisabled {
                subscription_id: p.subscription_id,
                url: p.url,
                last_error: p.last_error,
            })
        }
    }
}

pub fn event_to_proto(event: StoredEvent) -> v1::Event {
    v1::Event {
        id: event.id.to_string(),
        team_id: event.team_id,
        r#type: event.payload.type_name().to_owned(),
        create_time: Some(timestamp(event.create_time)),
        cursor: event.cursor.encode(),
        integration_id: event
            .integration_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        payload: Some(payload_to_proto(event.payload)),
    }
}

fn query(violations: &mut Violations, team_id: &str, types: Vec<String>) -> EventQuery {
    EventQuery {
        team_id: violations
            .check(optional("team_id", team_id, TeamId::parse))
            .flatten(),
        types,
    }
}

const WEBHOOKS_PENDING: &str = "webhook subscriptions are not available in this build yet";

type EventStream = Pin<Box<dyn Stream<Item = Result<v1::Event, Status>> + Send>>;

#[tonic::async_trait]
impl EventService for EventApi {
    async fn list_events(
        &self,
        request: Request<v1::ListEventsRequest>,
    ) -> Result<Response<v1::ListEventsResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListEventsRequest {
            team_id,
            types,
            page_size,
            page_token,
        } = request.into_inner();
        let mut violations = Violations::default();
        let query = query(&mut violations, &team_id, types);
        violations.into_result()?;
        let (events, next) = self
            .core
            .list_events(&caller, query, page_size, &page_token)
            .await?;
        Ok(Response::new(v1::ListEventsResponse {
            events: events.into_iter().map(event_to_proto).collect(),
            next_page_token: next.unwrap_or_default(),
        }))
    }

    type StreamEventsStream = EventStream;

    async fn stream_events(
        &self,
        request: Request<v1::StreamEventsRequest>,
    ) -> Result<Response<Self::StreamEventsStream>, Status> {
        let caller = caller(&request)?;
        let v1::StreamEventsRequest {
            team_id,
            types,
            after,
        } = request.into_inner();
        let mut violations = Violations::default();
        let query = query(&mut violations, &team_id, types);
        let after = violations
            .check(optional("after", &after, EventCursor::parse))
            .flatten()
            .unwrap_or(EventCursor::START);
        violations.into_result()?;
        let events =
            self.core
                .stream_events(&caller, query, after, self.bell.clone(), self.stop.clone())?;
        let stream = tokio_stream::wrappers::ReceiverStream::new(events)
            .map(|item| item.map(event_to_proto).map_err(Status::from));
        Ok(Response::new(Box::pin(stream)))
    }

    async fn create_webhook_subscription(
        &self,
        _: Request<v1::CreateWebhookSubscriptionRequest>,
    ) -> Result<Response<v1::WebhookSubscription>, Status> {
        Err(Status::unimplemented(WEBHOOKS_PENDING))
    }

    async fn get_webhook_subscription(
        &self,
        _: Request<v1::GetWebhookSubscriptionRequest>,
    ) -> Result<Response<v1::WebhookSubscription>, Status> {
        Err(Status::unimplemented(WEBHOOKS_PENDING))
    }

    async fn list_webhook_subscriptions(
        &self,
        _: Request<v1::ListWebhookSubscriptionsRequest>,
    ) -> Result<Response<v1::ListWebhookSubscriptionsResponse>, Status> {
        Err(Status::unimplemented(WEBHOOKS_PENDING))
    }

    async fn update_webhook_subscription(
        &self,
        _: Request<v1::UpdateWebhookSubscriptionRequest>,
    ) -> Result<Response<v1::WebhookSubscription>, Status> {
        Err(Status::unimplemented(WEBHOOKS_PENDING))
    }

    async fn delete_webhook_subscription(
        &self,
        _: Request<v1::DeleteWebhookSubscriptionRequest>,
    ) -> Result<Response<()>, Status> {
        Err(Status::unimplemented(WEBHOOKS_PENDING))
    }

    async fn rotate_webhook_secret(
        &self,
        _: Request<v1::RotateWebhookSecretRequest>,
    ) -> Result<Response<v1::WebhookSubscription>, Status> {
        Err(Status::unimplemented(WEBHOOKS_PENDING))
    }
}
