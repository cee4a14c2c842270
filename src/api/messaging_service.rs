use std::time::{Duration, Instant};

use tonic::{Request, Response, Status};

use super::{
    Violations, caller,
    messages::{delivery_to_proto, parse_message, state_from_proto},
    optional, unparsed,
};
use crate::{
    core::{BatchRequest, Core, CoreError, EditRequest, Resource, SendRequest},
    domain::{
        DeliveryId, FieldViolation, IntegrationId, InternalMessageId, MessageType, RequestId,
    },
    proto::v1::{self, messaging_service_server::MessagingService},
};

/// Kept back from the call's deadline when waiting for deliveries: to read their state.
const WAIT_RESERVE: Duration = Duration::from_millis(200);

pub struct MessagingApi {
    core: Core,
    /// The longest any call may wait (the server's request timeout), for a call that
    /// somehow has no deadline of its own.
    max_wait: Duration,
}

impl MessagingApi {
    pub fn new(core: Core, request_timeout: Duration) -> Self {
        Self {
            core,
            max_wait: request_timeout,
        }
    }

    /// When a `wait_for_delivery` call must stop waiting: shortly before its deadline,
    /// which already takes the caller's `grpc-timeout` into account.
    fn wait_until(&self, wait: bool) -> Option<Instant> {
        if !wait {
            return None;
        }
        Some(match crate::deadline::current() {
            Some(deadline) => deadline
                .into_std()
                .checked_sub(WAIT_RESERVE)
                .unwrap_or_else(Instant::now),
            None => Instant::now() + self.max_wait,
        })
    }
}

/// Most requests in one BatchSendMessages call.
pub const MAX_BATCH: usize = 1000;

impl MessagingApi {
    /// A SendMessageRequest as the core takes it, or every bad field at once (with those
    /// the caller already found in `violations`).
    fn parse_send(
        &self,
        request: v1::SendMessageRequest,
        mut violations: Violations,
    ) -> Result<SendRequest, CoreError> {
        let v1::SendMessageRequest {
            integration_id,
            message,
            internal_message_id,
            message_type,
            wait_for_delivery,
        } = request;
        let id = violations.check(IntegrationId::parse("integration_id", &integration_id));
        let message_id = violations.check(optional(
            "internal_message_id",
            &internal_message_id,
            InternalMessageId::parse,
        ));
        let message_type = violations.check(MessageType::parse("message_type", &message_type));
        let message = parse_message(message)
            .map_err(|v| violations.0.extend(v))
            .ok();
        violations.into_core()?;
        let (Some(id), Some(message_id), Some(message_type), Some(message)) =
            (id, message_id, message_type, message)
        else {
            return Err(unparsed());
        };
        Ok(SendRequest {
            integration_id: id,
            message,
            internal_message_id: message_id,
            message_type,
            parent_internal_message_id: None,
            wait_until: self.wait_until(wait_for_delivery),
        })
    }

    /// The (integration, message id) pair every edit and thread call names.
    fn message_ref(
        integration_id: &str,
        internal_message_id: &str,
    ) -> Result<(IntegrationId, InternalMessageId), Status> {
        let (id, message, _) = Self::edit_ref(integration_id, internal_message_id, None)?;
        Ok((id, message))
    }

    /// What an edit names: the message, and its request id when given.
    fn edit_ref(
        integration_id: &str,
        internal_message_id: &str,
        request_id: Option<&str>,
    ) -> Result<(IntegrationId, InternalMessageId, Option<RequestId>), Status> {
        let mut violations = Violations::default();
        let id = violations.check(IntegrationId::parse("integration_id", integration_id));
        let message = violations.check(InternalMessageId::parse(
            "internal_message_id",
            internal_message_id,
        ));
        let request_id = violations.check(RequestId::parse("request_id", request_id));
        violations.into_result()?;
        match (id, message, request_id) {
            (Some(id), Some(message), Some(request_id)) => Ok((id, message, request_id)),
            _ => Err(unparsed()),
        }
    }
}

/// A digest of a batch, the same for the same batch whatever order its template variables
/// (a map) are encoded in.
fn batch_fingerprint(requests: &mut [v1::SendMessageRequest]) -> Vec<u8> {
    use prost::Message;
    use sha2::Digest;
    let mut digest = sha2::Sha256::new();
    let mut add = |bytes: &[u8]| {
        digest.update((bytes.len() as u64).to_be_bytes());
        digest.update(bytes);
    };
    for item in requests {
        let template = item.message.as_mut().and_then(|m| m.template.as_mut());
        let variables = template.map(|t| std::mem::take(&mut t.variables));
        add(&item.encode_to_vec());
        let mut sorted: Vec<_> = variables.iter().flatten().collect();
        sorted.sort();
        for (name, value) in sorted {
            add(name.as_bytes());
            add(value.as_bytes());
        }
        if let (Some(variables), Some(template)) = (
            variables,
            item.message.as_mut().and_then(|m| m.template.as_mut()),
        ) {
            template.variables = variables;
        }
    }
    digest.finalize().to_vec()
}

/// A failed batch item as a `google.rpc.Status`, with its details.
fn rpc_status(status: &Status) -> tonic_types::pb::Status {
    use prost::Message;
    tonic_types::pb::Status::decode(status.details())
        .ok()
        .filter(|s| s.code != 0)
        .unwrap_or_else(|| tonic_types::pb::Status {
            code: status.code() as i32,
            message: status.message().to_owned(),
            details: vec![],
        })
}

#[tonic::async_trait]
impl MessagingService for MessagingApi {
    async fn send_message(
        &self,
        request: Request<v1::SendMessageRequest>,
    ) -> Result<Response<v1::Delivery>, Status> {
        let caller = caller(&request)?;
        let send = self.parse_send(request.into_inner(), Violations::default())?;
        let delivery = self.core.send_message(&caller, send).await?;
        Ok(Response::new(delivery_to_proto(&delivery)))
    }

    async fn reply_to_message(
        &self,
        request: Request<v1::ReplyToMessageRequest>,
    ) -> Result<Response<v1::Delivery>, Status> {
        let caller = caller(&request)?;
        let v1::ReplyToMessageRequest {
            integration_id,
            parent_internal_message_id,
            message,
            internal_message_id,
            reply_broadcast,
            wait_for_delivery,
            message_type,
        } = request.into_inner();
        // A reply is a send with a parent: the same checks, plus the parent's id.
        let mut violations = Violations::default();
        let parent = violations.check(InternalMessageId::parse(
            "parent_internal_message_id",
            &parent_internal_message_id,
        ));
        let as_send = v1::SendMessageRequest {
            integration_id,
            message,
            internal_message_id,
            message_type,
            wait_for_delivery,
        };
        let mut send = self.parse_send(as_send, violations)?;
        let Some(parent) = parent else {
            return Err(unparsed());
        };
        send.parent_internal_message_id = Some(parent);
        send.message.reply_broadcast = reply_broadcast;
        let delivery = self.core.send_message(&caller, send).await?;
        Ok(Response::new(delivery_to_proto(&delivery)))
    }

    async fn update_message(
        &self,
        request: Request<v1::UpdateMessageRequest>,
    ) -> Result<Response<v1::Delivery>, Status> {
        let caller = caller(&request)?;
        let v1::UpdateMessageRequest {
            integration_id,
            internal_message_id,
            message,
            wait_for_delivery,
            request_id,
        } = request.into_inner();
        let parsed = parse_message(message);
        let (id, message_id, request_id) =
            Self::edit_ref(&integration_id, &internal_message_id, request_id.as_deref())?;
        let message = parsed.map_err(CoreError::InvalidArgument)?;
        let edit = EditRequest {
            integration_id: id,
            internal_message_id: message_id,
            replacement: Some(message),
            request_id,
            wait_until: self.wait_until(wait_for_delivery),
        };
        let delivery = self.core.edit_message(&caller, edit).await?;
        Ok(Response::new(delivery_to_proto(&delivery)))
    }

    async fn delete_message(
        &self,
        request: Request<v1::DeleteMessageRequest>,
    ) -> Result<Response<v1::Delivery>, Status> {
        let caller = caller(&request)?;
        let v1::DeleteMessageRequest {
            integration_id,
            internal_message_id,
            wait_for_delivery,
            request_id,
        } = request.into_inner();
        let (id, message_id, request_id) =
            Self::edit_ref(&integration_id, &internal_message_id, request_id.as_deref())?;
        let edit = EditRequest {
            integration_id: id,
            internal_message_id: message_id,
            replacement: None,
            request_id,
            wait_until: self.wait_until(wait_for_delivery),
        };
        let delivery = self.core.edit_message(&caller, edit).await?;
        Ok(Response::new(delivery_to_proto(&delivery)))
    }

    async fn get_message_thread(
        &self,
        request: Request<v1::GetMessageThreadRequest>,
    ) -> Result<Response<v1::GetMessageThreadResponse>, Status> {
        let caller = caller(&request)?;
        let v1::GetMessageThreadRequest {
            integration_id,
            internal_message_id,
        } = request.into_inner();
        let (id, message_id) = Self::message_ref(&integration_id, &internal_message_id)?;
        let thread = self
            .core
            .get_message_thread(&caller, id, &message_id)
            .await?;
        Ok(Response::new(v1::GetMessageThreadResponse {
            messages: thread
                .into_iter()
                .map(|m| v1::ThreadMessage {
                    ts: m.ts,
                    text: m.text,
                    user_id: m.user,
                    bot_id: m.bot_id,
                    thread_ts: m.thread_ts.unwrap_or_default(),
                })
                .collect(),
        }))
    }

    async fn batch_send_messages(
        &self,
        request: Request<v1::BatchSendMessagesRequest>,
    ) -> Result<Response<v1::BatchSendMessagesResponse>, Status> {
        let caller = caller(&request)?;
        let v1::BatchSendMessagesRequest {
            mut requests,
            request_id,
        } = request.into_inner();
        let mut violations = Violations::default();
        if requests.len() > MAX_BATCH {
            violations.add(
                "requests",
                &format!("at most {MAX_BATCH} requests per batch"),
            );
        }
        let request_id = violations.check(RequestId::parse("request_id", request_id.as_deref()));
        violations.into_result()?;
        let request_id = request_id
            .flatten()
            .map(|id| (id, batch_fingerprint(&mut requests)));
        // Every item shares the call's one deadline (and so its one wait budget).
        let items = requests
            .into_iter()
            .map(|item| self.parse_send(item, Violations::default()))
            .collect();
        let outcomes = self
            .core
            .send_batch(&caller, BatchRequest { items, request_id })
            .await?;
        let results = outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Ok(delivery) => v1::BatchSendResult {
                    result: Some(v1::batch_send_result::Result::Delivery(delivery_to_proto(
                        &delivery,
                    ))),
                    not_attempted: false,
                },
                Err(err) => {
                    let not_attempted = matches!(err, CoreError::NotAttempted { .. });
                    v1::BatchSendResult {
                        result: Some(v1::batch_send_result::Result::Error(rpc_status(
                            &Status::from(err),
                        ))),
                        not_attempted,
                    }
                }
            })
            .collect();
        Ok(Response::new(v1::BatchSendMessagesResponse { results }))
    }

    async fn validate_messaging_capability(
        &self,
        request: Request<v1::ValidateMessagingCapabilityRequest>,
    ) -> Result<Response<v1::ValidateMessagingCapabilityResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ValidateMessagingCapabilityRequest { integration_id } = request.into_inner();
        let id =
            IntegrationId::parse("integration_id", &integration_id).map_err(CoreError::invalid)?;
        let capability = self.core.validate_messaging_capability(&caller, id).await?;
        Ok(Response::new(v1::ValidateMessagingCapabilityResponse {
            can_send: capability.can_send,
            integration_active: capability.integration_active,
            channel_configured: capability.channel_configured,
            reason: capability.reason,
        }))
    }
    async fn get_delivery(
        &self,
        request: Request<v1::GetDeliveryRequest>,
    ) -> Result<Response<v1::Delivery>, Status> {
        let caller = caller(&request)?;
        let v1::GetDeliveryRequest {
            delivery_id,
            integration_id,
        } = request.into_inner();
        let mut violations = Violations::default();
        let id = violations.check(DeliveryId::parse("delivery_id", &delivery_id));
        // The parent is given at the canonical path and may be left out at the old one.
        let parent = violations.check(optional(
            "integration_id",
            &integration_id,
            IntegrationId::parse,
        ));
        violations.into_result()?;
        let (Some(id), Some(parent)) = (id, parent) else {
            return Err(unparsed());
        };
        let delivery = self.core.get_delivery(&caller, id).await?;
        // A delivery of another integration is not at this path (AIP-132).
        if parent.is_some_and(|parent| parent != delivery.integration_id) {
            return Err(CoreError::NotFound {
                resource: Resource::Delivery,
                id: delivery_id,
            }
            .into());
        }
        Ok(Response::new(delivery_to_proto(&delivery)))
    }

    async fn list_deliveries(
        &self,
        request: Request<v1::ListDeliveriesRequest>,
    ) -> Result<Response<v1::ListDeliveriesResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListDeliveriesRequest {
            integration_id,
            state,
            page_size,
            page_token,
        } = request.into_inner();
        let mut violations = Violations::default();
        let id = violations.check(IntegrationId::parse("integration_id", &integration_id));
        let state = match state {
            None => Some(None),
            Some(n) => violations.check(
                v1::DeliveryState::try_from(n)
                    .map(state_from_proto)
                    .map_err(|_| FieldViolation::new("state", format!("{n} is not a known value"))),
            ),
        };
        violations.into_result()?;
        let (Some(id), Some(state)) = (id, state) else {
            return Err(unparsed());
        };
        let (deliveries, next) = self
            .core
            .list_deliveries(&caller, id, state, page_size, &page_token)
            .await?;
        Ok(Response::new(v1::ListDeliveriesResponse {
            deliveries: deliveries.iter().map(delivery_to_proto).collect(),
            next_page_token: next.unwrap_or_default(),
        }))
    }
}
