//! Hostile and malformed gRPC input: always a clean INVALID_ARGUMENT (or RESOURCE_EXHAUSTED
//! for size), never INTERNAL, and never an answer larger than the question deserves.

use prost_types::{ListValue, Struct, Value, value::Kind};
use serde_json::json;
use switchboard::proto::v1::{
    self, batch_send_result::Result as Outcome, monitoring_service_client::MonitoringServiceClient,
};
use tonic::Code;

use crate::{helpers::*, messaging_helpers::*};

/// JSON as a `google.protobuf.Value`, as a client would send Block Kit.
fn value(json: serde_json::Value) -> Value {
    use serde_json::Value as J;
    let kind = match json {
        J::Null => Kind::NullValue(0),
        J::Bool(b) => Kind::BoolValue(b),
        J::Number(n) => Kind::NumberValue(n.as_f64().unwrap()),
        J::String(s) => Kind::StringValue(s),
        J::Array(items) => Kind::ListValue(ListValue {
            values: items.into_iter().map(value).collect(),
        }),
        J::Object(map) => Kind::StructValue(Struct {
            fields: map.into_iter().map(|(k, v)| (k, value(v))).collect(),
        }),
    };
    Value { kind: Some(kind) }
}

pub fn blocks(items: Vec<serde_json::Value>) -> Option<v1::Message> {
    Some(v1::Message {
        blocks: Some(ListValue {
            values: items.into_iter().map(value).collect(),
        }),
        ..Default::default()
    })
}

fn section(text: &str) -> serde_json::Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

fn request(integration: &str, message: Option<v1::Message>) -> v1::SendMessageRequest {
    v1::SendMessageRequest {
        integration_id: integration.into(),
        message,
        ..Default::default()
    }
}

#[tokio::test]
async fn nul_characters_are_invalid_argument_in_every_message_rpc() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    send(&app, send_request(&integration, "parent", "hello", false))
        .await
        .unwrap();
    let template = Some(v1::Message {
        template: Some(v1::MessageTemplate {
            name: "update".into(),
            variables: [("message".to_owned(), "a\0b".to_owned())].into(),
        }),
        ..Default::default()
    });
    let cases = [
        (text("a\0b"), "message.text"),
        (blocks(vec![section("a\0b")]), "message.blocks[0].text.text"),
        (template, "message.template.variables.message"),
    ];
    for (message, field) in cases {
        let parent = || "parent".to_owned();
        let answers = [
            send(&app, request(&integration, message.clone())).await,
            messaging(&app)
                .reply_to_message(service(v1::ReplyToMessageRequest {
                    integration_id: integration.clone(),
                    parent_internal_message_id: parent(),
                    message: message.clone(),
                    ..Default::default()
                }))
                .await
                .map(tonic::Response::into_inner),
            messaging(&app)
                .update_message(service(v1::UpdateMessageRequest {
                    integration_id: integration.clone(),
                    internal_message_id: parent(),
                    message: message.clone(),
                    ..Default::default()
                }))
                .await
                .map(tonic::Response::into_inner),
        ];
        for answer in answers {
            let err = answer.unwrap_err();
            assert!(field_violations(&err).contains_key(field), "{err:?}");
        }
        let batch = messaging(&app)
            .batch_send_messages(service(v1::BatchSendMessagesRequest {
                requests: vec![
                    request(&integration, message),
                    request(&integration, text("ok")),
                ],
                request_id: None,
            }))
            .await
            .unwrap()
            .into_inner();
        match &batch.results[0].result {
            Some(Outcome::Error(status)) => {
                assert_eq!(status.code, Code::InvalidArgument as i32, "{status:?}")
            }
            other => panic!("{field}: {other:?}"),
        }
        assert!(matches!(
            batch.results[1].result,
            Some(Outcome::Delivery(_))
        ));
    }
}

#[tokio::test]
async fn messages_past_slacks_limits_are_refused_by_path() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let two_megabytes = section(&"x".repeat(2 << 20));
    let header = json!({"type": "header", "text": {"type": "plain_text", "text": "h".repeat(151)}});
    let err = send(
        &app,
        request(&integration, blocks(vec![two_megabytes, header])),
    )
    .await
    .unwrap_err();
    let violations = field_violations(&err);
    for field in [
        "message.blocks",
        "message.blocks[0].text.text",
        "message.blocks[1].text.text",
    ] {
        assert!(violations.contains_key(field), "{field}: {violations:?}");
    }

    // The largest valid message: 40,000 characters of text and 50 full sections, each
    // character four bytes long, is taken.
    let wide = "\u{1F600}";
    let largest = v1::Message {
        text: wide.repeat(40_000),
        ..blocks(vec![section(&wide.repeat(3_000)); 50]).unwrap()
    };
    let queued = send(&app, request(&integration, Some(largest)))
        .await
        .unwrap();
    assert_eq!(queued.state(), v1::DeliveryState::Queued);
}

#[tokio::test]
async fn ten_thousand_bad_blocks_get_a_small_answer() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let untyped = vec![json!({"text": "x"}); 10_000];
    let err = send(&app, request(&integration, blocks(untyped)))
        .await
        .unwrap_err();
    let details = assert_error(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(details.bad_request().unwrap().field_violations.len(), 50);
    assert_eq!(
        details.error_info().unwrap().metadata["violation_count"],
        "10001"
    );
    assert!(err.details().len() + err.message().len() < 16 * 1024);

    let long_name = "v".repeat(100_000);
    let err = send(
        &app,
        request(
            &integration,
            Some(v1::Message {
                template: Some(v1::MessageTemplate {
                    name: "update".into(),
                    variables: [
                        ("message".to_owned(), "m".to_owned()),
                        (long_name, "x".to_owned()),
                    ]
                    .into(),
                }),
                ..Default::default()
            }),
        ),
    )
    .await
    .unwrap_err();
    assert!(field_violations(&err).keys().all(|f| f.len() < 1024));
}

#[tokio::test]
async fn requests_past_their_methods_limit_are_resource_exhausted() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let check = |err: tonic::Status| {
        assert_error(&err, Code::ResourceExhausted, "REQUEST_TOO_LARGE");
    };
    let huge_text = "x".repeat(switchboard::api::MAX_MESSAGE_REQUEST_BYTES);
    check(
        send(&app, request(&integration, text(&huge_text)))
            .await
            .unwrap_err(),
    );
    let item = request(&integration, text(&"y".repeat(1 << 20)));
    let batch = v1::BatchSendMessagesRequest {
        requests: vec![item; 17],
        request_id: None,
    };
    check(
        messaging(&app)
            .batch_send_messages(service(batch))
            .await
            .unwrap_err(),
    );
    check(
        app.get(&"z".repeat(switchboard::api::MAX_REQUEST_BYTES))
            .await
            .unwrap_err(),
    );
    // The connection is still good for a well-formed call.
    send(&app, send_request(&integration, "after", "fine", false))
        .await
        .unwrap();
}

#[tokio::test]
async fn blocks_nested_past_the_decoder_limit_are_invalid_argument() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let mut nested = json!("bottom");
    for _ in 0..200 {
        nested = json!([nested]);
    }
    let err = send(
        &app,
        request(
            &integration,
            blocks(vec![json!({"type": "section", "deep": nested})]),
        ),
    )
    .await
    .unwrap_err();
    assert!(field_violations(&err).contains_key("request"), "{err:?}");
}

#[tokio::test]
async fn stats_times_outside_the_timestamp_range_are_invalid_argument() {
    let app = TestApp::spawn().await;
    let monitoring = MonitoringServiceClient::new(app.channel.clone());
    let at = |seconds: i64| Some(prost_types::Timestamp { seconds, nanos: 0 });
    // Year -10000 (Postgres cannot store it) and year 10000 (protobuf does not allow it).
    for (start, end) in [(-377_705_116_800, 0), (0, 253_402_300_800)] {
        let stats = monitoring
            .clone()
            .get_messaging_stats(service(v1::GetMessagingStatsRequest {
                start_time: at(start),
                end_time: at(end),
                ..Default::default()
            }))
            .await
            .map(|_| ());
        let breakdown = monitoring
            .clone()
            .get_message_type_breakdown(service(v1::GetMessageTypeBreakdownRequest {
                start_time: at(start),
                end_time: at(end),
                ..Default::default()
            }))
            .await
            .map(|_| ());
        for answer in [stats, breakdown] {
            let err = answer.unwrap_err();
            assert!(!field_violations(&err).is_empty(), "{err:?}");
        }
    }
}
