use serde_json::{Value, json};
use switchboard::proto::v1::{self, DeliveryState};

use crate::{helpers::*, messaging_helpers::*};

#[tokio::test]
async fn bad_messages_are_field_violations() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let block = |v: Value| -> prost_types::Value {
        match v {
            Value::String(s) => prost_types::Value {
                kind: Some(prost_types::value::Kind::StringValue(s)),
            },
            Value::Object(map) => prost_types::Value {
                kind: Some(prost_types::value::Kind::StructValue(prost_types::Struct {
                    fields: map
                        .into_iter()
                        .map(|(k, v)| {
                            (
                                k,
                                prost_types::Value {
                                    kind: Some(prost_types::value::Kind::StringValue(
                                        v.as_str().unwrap().into(),
                                    )),
                                },
                            )
                        })
                        .collect(),
                })),
            },
            _ => unreachable!(),
        }
    };
    let blocks = |values: Vec<Value>| {
        Some(prost_types::ListValue {
            values: values.into_iter().map(block).collect(),
        })
    };
    let template = |name: &str, vars: &[(&str, &str)]| {
        Some(v1::MessageTemplate {
            name: name.into(),
            variables: vars
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        })
    };
    let cases: Vec<(v1::Message, &str)> = vec![
        (
            v1::Message {
                text: "x".repeat(40_001),
                ..Default::default()
            },
            "message.text",
        ),
        (
            v1::Message {
                blocks: blocks(vec![json!({"type": "divider"}); 51]),
                ..Default::default()
            },
            "message.blocks",
        ),
        (
            v1::Message {
                blocks: blocks(vec![json!({"text": "no type"})]),
                ..Default::default()
            },
            "message.blocks[0]",
        ),
        (
            v1::Message {
                template: template("nope", &[]),
                ..Default::default()
            },
            "message.template.name",
        ),
        (
            v1::Message {
                template: template("error", &[("service", "api"), ("code", "E1")]),
                ..Default::default()
            },
            "message.template.variables.message",
        ),
        (v1::Message::default(), "message"),
    ];
    for (message, field) in cases {
        let err = send(
            &app,
            v1::SendMessageRequest {
                integration_id: integration.clone(),
                message: Some(message),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert!(
            field_violations(&err).contains_key(field),
            "{field}: {err:?}"
        );
    }
    // A template renders into the posted text.
    let sent = send(
        &app,
        v1::SendMessageRequest {
            integration_id: integration.clone(),
            message: Some(v1::Message {
                template: template("update", &[("message", "v2 is live")]),
                ..Default::default()
            }),
            wait_for_delivery: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(sent.state(), DeliveryState::Sent);
    assert_eq!(
        sim_messages(&app).await[0]["text"],
        ":information_source: v2 is live"
    );
    assert!(sim_messages(&app).await.len() == 1);
    assert!(app.sim_calls("chat.postMessage").await.len() == 1);
}
