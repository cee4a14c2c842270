//! Conversions between the messaging protos and domain values.

use super::convert::timestamp;
use crate::{
    domain::{
        Delivery, DeliveryKind, DeliveryState, FieldViolation, InternalMessageId, MessageInput,
        MessageType, OutboundMessage,
    },
    proto::v1,
};

/// `google.protobuf.Value` as JSON (Block Kit is JSON).
pub(super) fn to_json(value: prost_types::Value) -> serde_json::Value {
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

pub(super) fn parse_message(
    message: Option<v1::Message>,
) -> Result<OutboundMessage, Vec<FieldViolation>> {
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

pub fn delivery_to_proto(d: &Delivery) -> v1::Delivery {
    v1::Delivery {
        id: d.id.to_string(),
        integration_id: d.integration_id.to_string(),
        kind: match d.kind {
            DeliveryKind::Post => v1::DeliveryKind::Post,
            DeliveryKind::Reply => v1::DeliveryKind::Reply,
            DeliveryKind::Update => v1::DeliveryKind::Update,
            DeliveryKind::Delete => v1::DeliveryKind::Delete,
        } as i32,
        internal_message_id: d.internal_message_id.to_string(),
        parent_internal_message_id: d
            .parent_internal_message_id
            .as_ref()
            .map(InternalMessageId::to_string)
            .unwrap_or_default(),
        message_type: d
            .message_type
            .as_ref()
            .map(MessageType::to_string)
            .unwrap_or_default(),
        state: state_to_proto(d.state) as i32,
        channel_id: d.channel_id.to_string(),
        slack_ts: d.slack_ts.clone().unwrap_or_default(),
        thread_ts: d.thread_ts.clone().unwrap_or_default(),
        attempts: d.attempts,
        last_error: d
            .last_error
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
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

pub(super) fn state_from_proto(state: v1::DeliveryState) -> Option<DeliveryState> {
    Some(match state {
        v1::DeliveryState::Unspecified => return None,
        v1::DeliveryState::Queued => DeliveryState::Queued,
        v1::DeliveryState::Retrying => DeliveryState::Retrying,
        v1::DeliveryState::Sent => DeliveryState::Sent,
        v1::DeliveryState::Failed => DeliveryState::Failed,
        v1::DeliveryState::Cancelled => DeliveryState::Cancelled,
    })
}
