//! Fills the ids that make a retry safe, in the encoded request itself, once, before the
//! first attempt: an empty `internal_message_id` of a send or reply (and of each batch
//! item) and an unset `request_id` of the other mutating calls. Every retry then carries
//! the same ids, and the server answers a repeat with what it did the first time.

use bytes::{BufMut, Bytes, BytesMut};
use prost::Message;

use crate::proto::v1::{
    BatchSendMessagesRequest, DeleteMessageRequest, ReconnectIntegrationRequest,
    ReplyToMessageRequest, SendMessageRequest, UpdateMessageRequest,
};

fn fresh() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn fill_message_id(id: &mut String) {
    if id.is_empty() {
        *id = fresh();
    }
}

fn fill_request_id(id: &mut Option<String>) {
    if id.is_none() {
        *id = Some(fresh());
    }
}

/// Decodes the message of a gRPC frame, lets `fill` change it, and encodes it again. A
/// frame that is compressed or does not decode is sent as it is (the server judges it).
fn refill<M: Message + Default>(frame: Bytes, fill: impl FnOnce(&mut M)) -> Bytes {
    if frame.len() < 5 || frame[0] != 0 {
        return frame;
    }
    let length = u32::from_be_bytes([frame[1], frame[2], frame[3], frame[4]]) as usize;
    let body = &frame[5..];
    if length != body.len() {
        return frame;
    }
    let Ok(mut message) = M::decode(body) else {
        return frame;
    };
    fill(&mut message);
    let mut out = BytesMut::with_capacity(5 + message.encoded_len());
    out.put_u8(0);
    out.put_u32(message.encoded_len() as u32);
    message.encode(&mut out).expect("BytesMut grows as needed");
    out.freeze()
}

/// The request frame of the RPC at `path`, with its ids filled.
pub(crate) fn fill(path: &str, frame: Bytes) -> Bytes {
    match path.strip_prefix("/switchboard.v1.") {
        Some("MessagingService/SendMessage") => refill(frame, |m: &mut SendMessageRequest| {
            fill_message_id(&mut m.internal_message_id)
        }),
        Some("MessagingService/ReplyToMessage") => {
            refill(frame, |m: &mut ReplyToMessageRequest| {
                fill_message_id(&mut m.internal_message_id)
            })
        }
        Some("MessagingService/BatchSendMessages") => {
            refill(frame, |m: &mut BatchSendMessagesRequest| {
                fill_request_id(&mut m.request_id);
                for item in &mut m.requests {
                    fill_message_id(&mut item.internal_message_id);
                }
            })
        }
        Some("MessagingService/UpdateMessage") => refill(frame, |m: &mut UpdateMessageRequest| {
            fill_request_id(&mut m.request_id)
        }),
        Some("MessagingService/DeleteMessage") => refill(frame, |m: &mut DeleteMessageRequest| {
            fill_request_id(&mut m.request_id)
        }),
        Some("IntegrationService/ReconnectIntegration") => {
            refill(frame, |m: &mut ReconnectIntegrationRequest| {
                fill_request_id(&mut m.request_id)
            })
        }
        _ => frame,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(message: &impl Message) -> Bytes {
        let mut out = BytesMut::new();
        out.put_u8(0);
        out.put_u32(message.encoded_len() as u32);
        message.encode(&mut out).unwrap();
        out.freeze()
    }

    fn decode<M: Message + Default>(frame: &Bytes) -> M {
        M::decode(&frame[5..]).unwrap()
    }

    #[test]
    fn an_empty_message_id_is_filled_and_a_given_one_kept() {
        let path = "/switchboard.v1.MessagingService/SendMessage";
        let filled: SendMessageRequest = decode(&fill(path, frame(&SendMessageRequest::default())));
        assert_eq!(filled.internal_message_id.len(), 36);
        let given = SendMessageRequest {
            internal_message_id: "deploy-42".into(),
            ..Default::default()
        };
        let kept: SendMessageRequest = decode(&fill(path, frame(&given)));
        assert_eq!(kept.internal_message_id, "deploy-42");
    }

    #[test]
    fn batches_get_a_request_id_and_an_id_per_item() {
        let batch = BatchSendMessagesRequest {
            requests: vec![SendMessageRequest::default(), SendMessageRequest::default()],
            ..Default::default()
        };
        let path = "/switchboard.v1.MessagingService/BatchSendMessages";
        let filled: BatchSendMessagesRequest = decode(&fill(path, frame(&batch)));
        assert!(filled.request_id.is_some());
        let ids: Vec<&str> = filled
            .requests
            .iter()
            .map(|r| r.internal_message_id.as_str())
            .collect();
        assert!(ids.iter().all(|id| id.len() == 36) && ids[0] != ids[1]);
    }

    #[test]
    fn other_calls_and_odd_frames_pass_untouched() {
        let request = frame(&SendMessageRequest::default());
        let other = fill(
            "/switchboard.v1.IntegrationService/GetIntegration",
            request.clone(),
        );
        assert_eq!(other, request);
        let compressed = Bytes::from_static(&[1, 0, 0, 0, 0]);
        let path = "/switchboard.v1.MessagingService/SendMessage";
        assert_eq!(fill(path, compressed.clone()), compressed);
        assert_eq!(fill(path, Bytes::new()), Bytes::new());
    }
}
