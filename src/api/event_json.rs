//! An event as proto JSON (the proto3 JSON mapping: lowerCamelCase names, enums by name,
//! RFC 3339 timestamps, the payload under its oneof field), for webhook bodies. Rendered
//! by prost-reflect from the same descriptor set reflection serves, so it follows the
//! contract rather than a hand-written copy of it.

use std::sync::LazyLock;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};

use super::event_to_proto;
use crate::{proto::FILE_DESCRIPTOR_SET, store::StoredEvent};

static EVENT: LazyLock<MessageDescriptor> = LazyLock::new(|| {
    DescriptorPool::decode(FILE_DESCRIPTOR_SET)
        .expect("build.rs writes a valid descriptor set")
        .get_message_by_name("switchboard.v1.Event")
        .expect("the contract defines switchboard.v1.Event")
});

/// The webhook body of `event`.
pub fn event_json(event: &StoredEvent) -> Vec<u8> {
    let wire = event_to_proto(event.clone()).encode_to_vec();
    let message = DynamicMessage::decode(EVENT.clone(), wire.as_slice())
        .expect("an Event decodes with its own descriptor");
    serde_json::to_vec(&message).expect("a message serializes to JSON")
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::domain::{EventCursor, EventPayload, event::IntegrationStatusChanged};

    #[test]
    fn bodies_follow_the_proto_json_mapping() {
        let event = StoredEvent {
            id: Uuid::nil(),
            cursor: EventCursor { tx_id: 9, seq: 4 },
            team_id: "team-1".into(),
            integration_id: None,
            payload: EventPayload::IntegrationStatusChanged(IntegrationStatusChanged {
                from: "active".into(),
                to: "revoked".into(),
                reason: "token_revoked".into(),
            }),
            create_time: Utc.with_ymd_and_hms(2026, 11, 24, 8, 30, 0).unwrap(),
        };
        let json: serde_json::Value = serde_json::from_slice(&event_json(&event)).unwrap();
        assert_eq!(json["teamId"], "team-1");
        assert_eq!(json["type"], "integration.status_changed");
        assert_eq!(json["createTime"], "2026-11-24T08:30:00Z");
        let payload = &json["integrationStatusChanged"];
        assert_eq!(payload["from"], "INTEGRATION_STATUS_ACTIVE");
        assert_eq!(payload["to"], "INTEGRATION_STATUS_REVOKED");
        assert_eq!(payload["reason"], "token_revoked");
        // Defaults are left out, as the mapping says; the cursor resumes a stream.
        assert!(json.get("integrationId").is_none());
        assert_eq!(json["cursor"], EventCursor { tx_id: 9, seq: 4 }.encode());
    }
}
