use std::time::{Duration, Instant};

use tonic::{Request, Response, Status, metadata::MetadataMap};

use super::{Violations, caller, convert::timestamp};
use crate::{
    core::{Core, CoreError, SendRequest},
    domain::{
        Delivery, DeliveryKind, DeliveryState, FieldViolation, IntegrationId, MessageInput,
        OutboundMessage, parse_internal_message_id, parse_message_type,
    },
    proto::v1::{self, messaging_service_server::MessagingService},
};

/// Room left before the caller's deadline when answering a `wait_for_delivery` call.
const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

pub struct MessagingApi {
    core: Core,
    /// The longest any call may wait (the server's request timeout, less a margin).
    max_wait: Duration,
}

impl MessagingApi {
    pub fn new(core: Core, request_timeout: Duration) -> Self {
        Self {
            core,
            max_wait: request_timeout.saturating_sub(DEADLINE_MARGIN),
        }
    }

    /// When a `wait_for_delivery` call must answer: before the caller's `grpc-timeout`.
    fn wait_until(&self, metadata: &MetadataMap, wait: bool) -> Option<Instant> {
        if !wait {
            return None;
        }
        let caller_budget = metadata
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout)
            .map(|d| d.saturating_sub(DEADLINE_MARGIN));
        let budget = caller_budget.map_or(self.max_wait, |b| b.min(self.max_wait));
        Some(Instant::now() + budget)
    }
}

/// gRPC's `grpc-timeout` header: digits and a unit (H, M, S, m, u, n).
fn parse_grpc_timeout(raw: &str) -> Option<Duration> {
    let (digits, unit) = raw.split_at(raw.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// `google.protobuf.Value` as JSON (Block Kit is JSON).
fn to_json(value: prost_types::Value) -> serde_json::Value {
    use prost_types::value::Kind;
    match value.kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => serde_json::Value::Bool(b),
        Some(Kind::NumberValue(n)) => serde_json::Number::from_f64(n)
            .map(|n| {
                // Integral numbers stay integers (Block Kit has counts, not floats).
                if n.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() < 9e15)
                {
                    serde_json::Value::from(n.as_f64().unwrap_or_default() as i64)
                } else {
                    serde_json::Value::Number(n)
                }
            })
            .unwrap_or(serde_json::Value::Null),
        Some(Kind::StringValue(s)) => serde_json::Value::String(s),
        Some(Kind::ListValue(list)) => {
            serde_json::Value::Array(list.values.into_iter().map(to_json).collect())
        }
        Some(Kind::StructValue(s)) => {
            serde_json::Value::Object(s.fields.into_iter().map(|(k, v)| (k, to_json(v))).collect())
        }
    }
}

fn parse_message(message: Option<v1::Message>) -> Result<OutboundMessage, Vec<FieldViolation>> {
    let Some(v1::Message {
        text,
        blocks,
        template,
        unfurl_links,
        unfurl_media,
    }) = message
    else {
        return Err(vec![FieldViolation::new("message", "is required")]);
    };
    OutboundMessage::parse(MessageInput {
        text,
        blocks: blocks.map(|list| list.values.into_iter().map(to_json).collect()),
        template: template.map(|t| (t.name, t.variables.into_iter().collect())),
        unfurl_links,
        unfurl_media,
    })
}

fn optional_message_id(field: &str, raw: &str) -> Result<Option<String>, FieldViolation> {
    if raw.is_empty() {
        Ok(None)
    } else {
        parse_internal_message_id(field, raw).map(Some)
    }
}

pub fn delivery_to_proto(d: &Delivery) -> v1::Delivery {
    v1::Delivery {
        id: d.id.to_string(),
        integration_id: d.integration_id.to_string(),
        kind: match d.kind {
            DeliveryKind::Post => v1::DeliveryKind::Post,
            DeliveryKind::Reply => v1::DeliveryKind::Reply,
        } as i32,
        internal_message_id: d.internal_message_id.clone(),
        parent_internal_message_id: d.parent_internal_message_id.clone().unwrap_or_default(),
        message_type: d.message_type.clone().unwrap_or_default(),
        state: state_to_proto(d.state) as i32,
        channel_id: d.channel_id.clone(),
        slack_ts: d.slack_ts.clone().unwrap_or_default(),
        thread_ts: d.thread_ts.clone().unwrap_or_default(),
        attempts: d.attempts,
        last_error: d.last_error.clone().unwrap_or_default(),
        create_time: Some(timestamp(d.create_time)),
        next_attempt_time: (!d.state.is_final()).then(|| timestamp(d.next_attempt_time)),
        sent_time: d.sent_time.map(timestamp),
    }
}

fn state_to_proto(state: DeliveryState) -> v1::DeliveryState {
    match state {
        DeliveryState::Queued => v1::DeliveryState::Queued,
        DeliveryState::Retrying => v1::DeliveryState::Retrying,
        DeliveryState::Sent => v1::DeliveryState::Sent,
        DeliveryState::Failed => v1::DeliveryState::Failed,
        DeliveryState::Cancelled => v1::DeliveryState::Cancelled,
    }
}

fn state_from_proto(state: v1::DeliveryState) -> Option<DeliveryState> {
    Some(match state {
        v1::DeliveryState::Unspecified => return None,
        v1::DeliveryState::Queued => DeliveryState::Queued,
        v1::DeliveryState::Retrying => DeliveryState::Retrying,
        v1::DeliveryState::Sent => DeliveryState::Sent,
        v1::DeliveryState::Failed => DeliveryState::Failed,
        v1::DeliveryState::Cancelled => DeliveryState::Cancelled,
    })
}

impl MessagingApi {
    async fn send(
        &self,
        caller: &crate::domain::Caller,
        request: SendRequest,
    ) -> Result<Response<v1::Delivery>, Status> {
        let delivery = self.core.send_message(caller, request).await?;
        Ok(Response::new(delivery_to_proto(&delivery)))
    }
}

#[tonic::async_trait]
impl MessagingService for MessagingApi {
    async fn send_message(
        &self,
        request: Request<v1::SendMessageRequest>,
    ) -> Result<Response<v1::Delivery>, Status> {
        let caller = caller(&request)?;
        let metadata = request.metadata().clone();
        let v1::SendMessageRequest {
            integration_id,
            message,
            internal_message_id,
            message_type,
            wait_for_delivery,
        } = request.into_inner();
        let mut violations = Violations::default();
        let id = violations.check(IntegrationId::parse("integration_id", &integration_id));
        let message_id = violations.check(optional_message_id(
            "internal_message_id",
            &internal_message_id,
        ));
        let message_type = violations.check(parse_message_type(&message_type));
        let message = parse_message(message)
            .map_err(|v| violations.0.extend(v))
            .ok();
        violations.into_result()?;
        let (Some(id), Some(message_id), Some(message_type), Some(message)) =
            (id, message_id, message_type, message)
        else {
            unreachable!("violations checked above")
        };
        let request = SendRequest {
            integration_id: id,
            message,
            internal_message_id: message_id,
            message_type,
            parent_internal_message_id: None,
            wait_until: self.wait_until(&metadata, wait_for_delivery),
        };
        self.send(&caller, request).await
    }

    async fn reply_to_message(
        &self,
        request: Request<v1::ReplyToMessageRequest>,
    ) -> Result<Response<v1::Delivery>, Status> {
        let caller = caller(&request)?;
        let metadata = request.metadata().clone();
        let v1::ReplyToMessageRequest {
            integration_id,
            parent_internal_message_id,
            message,
            internal_message_id,
            reply_broadcast,
            wait_for_delivery,
            message_type,
        } = request.into_inner();
        let mut violations = Violations::default();
        let id = violations.check(IntegrationId::parse("integration_id", &integration_id));
        let parent = violations.check(parse_internal_message_id(
            "parent_internal_message_id",
            &parent_internal_message_id,
        ));
        let message_id = violations.check(optional_message_id(
            "internal_message_id",
            &internal_message_id,
        ));
        let message_type = violations.check(parse_message_type(&message_type));
        let message = parse_message(message)
            .map_err(|v| violations.0.extend(v))
            .ok();
        violations.into_result()?;
        let (Some(id), Some(parent), Some(message_id), Some(message_type), Some(mut message)) =
            (id, parent, message_id, message_type, message)
        else {
            unreachable!("violations checked above")
        };
        message.reply_broadcast = reply_broadcast;
        let request = SendRequest {
            integration_id: id,
            message,
            internal_message_id: message_id,
            message_type,
            parent_internal_message_id: Some(parent),
            wait_until: self.wait_until(&metadata, wait_for_delivery),
        };
        self.send(&caller, request).await
    }

    async fn get_delivery(
        &self,
        request: Request<v1::GetDeliveryRequest>,
    ) -> Result<Response<v1::Delivery>, Status> {
        let caller = caller(&request)?;
        let v1::GetDeliveryRequest { delivery_id } = request.into_inner();
        let id = uuid::Uuid::try_parse(&delivery_id)
            .ok()
            .filter(|_| delivery_id.len() == 36)
            .ok_or_else(|| {
                CoreError::invalid(FieldViolation::new("delivery_id", "must be a UUID"))
            })?;
        let delivery = self.core.get_delivery(&caller, id).await?;
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
            unreachable!("violations checked above")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse() {
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse_grpc_timeout("x"), None);
        assert_eq!(parse_grpc_timeout(""), None);
    }
}
