use serde_json::json;
use switchboard::proto::v1::{
    self, DeliveryKind, DeliveryState, batch_send_result::Result as BatchResult,
};
use tonic::Code;

use crate::{helpers::*, messaging_helpers::*};

#[tokio::test]
async fn an_update_and_a_delete_follow_the_post_they_change() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    // Queued back to back: the update and the delete wait for the post.
    let post = send(
        &app,
        send_request(&integration, "deploy-7", "Deploying", false),
    )
    .await
    .unwrap();
    let update = messaging(&app)
        .update_message(service(v1::UpdateMessageRequest {
            integration_id: integration.clone(),
            internal_message_id: "deploy-7".into(),
            message: text("Deployed"),
            wait_for_delivery: true,
            request_id: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(update.kind(), DeliveryKind::Update);
    assert_eq!(update.state(), DeliveryState::Sent, "{update:?}");
    let post = get_delivery(&app, &post.id).await;
    assert_eq!(update.slack_ts, post.slack_ts);
    let posted = sim_messages(&app).await;
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0]["text"], "Deployed");
    assert_eq!(posted[0]["edits"], 1);

    let delete = messaging(&app)
        .delete_message(service(v1::DeleteMessageRequest {
            integration_id: integration.clone(),
            internal_message_id: "deploy-7".into(),
            wait_for_delivery: true,
            request_id: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(delete.kind(), DeliveryKind::Delete);
    assert_eq!(delete.state(), DeliveryState::Sent);
    assert_eq!(sim_messages(&app).await[0]["deleted"], true);

    let err = messaging(&app)
        .delete_message(service(v1::DeleteMessageRequest {
            integration_id: integration.clone(),
            internal_message_id: "never-sent".into(),
            wait_for_delivery: false,
            request_id: None,
        }))
        .await
        .unwrap_err();
    assert_error(&err, Code::NotFound, "MESSAGE_NOT_FOUND");
}

#[tokio::test]
async fn a_thread_is_read_back_from_slack() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let parent = send(&app, send_request(&integration, "root", "Root", true))
        .await
        .unwrap();
    reply(&app, &integration, "root", "one", "First", true).await;
    reply(&app, &integration, "root", "two", "Second", true).await;
    for asked in ["root", "two"] {
        let thread = messaging(&app)
            .get_message_thread(service(v1::GetMessageThreadRequest {
                integration_id: integration.clone(),
                internal_message_id: asked.into(),
            }))
            .await
            .unwrap()
            .into_inner()
            .messages;
        let texts: Vec<_> = thread.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["Root", "First", "Second"], "asked for {asked}");
        assert!(
            thread
                .iter()
                .all(|m| m.thread_ts == parent.slack_ts && !m.bot_id.is_empty())
        );
    }
}

#[tokio::test]
async fn a_batch_answers_each_item_in_order() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let requests = vec![
        send_request(&integration, "b-1", "one", false),
        send_request(&integration, "b-2", &"x".repeat(40_001), false),
        send_request("not-a-uuid", "b-3", "three", false),
        send_request(&integration, "b-4", "four", false),
    ];
    let results = messaging(&app)
        .batch_send_messages(service(v1::BatchSendMessagesRequest {
            requests,
            request_id: None,
        }))
        .await
        .unwrap()
        .into_inner()
        .results;
    assert_eq!(results.len(), 4);
    let delivered: Vec<String> = results
        .iter()
        .filter_map(|r| match &r.result {
            Some(BatchResult::Delivery(d)) => Some(d.id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(delivered.len(), 2);
    for (i, field) in [(1, "message.text"), (2, "integration_id")] {
        let Some(BatchResult::Error(status)) = &results[i].result else {
            panic!("item {i} should fail: {:?}", results[i]);
        };
        assert_eq!(status.code, Code::InvalidArgument as i32);
        let rendered = format!("{status:?}");
        assert!(rendered.contains(field), "{rendered}");
    }
    settle(&app, &delivered).await;
    let texts: Vec<_> = sim_messages(&app)
        .await
        .iter()
        .map(|m| m["text"].clone())
        .collect();
    assert_eq!(texts, [json!("one"), json!("four")]);

    let too_many = vec![send_request(&integration, "", "x", false); 1001];
    let err = messaging(&app)
        .batch_send_messages(service(v1::BatchSendMessagesRequest {
            requests: too_many,
            request_id: None,
        }))
        .await
        .unwrap_err();
    assert!(field_violations(&err).contains_key("requests"));
}

#[tokio::test]
async fn capability_says_why_a_message_would_not_go_out() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let bare = app.install("team-0", &ws).await.unwrap();
    let (integration, channel) = ready_integration(&app, "team-1", &ws).await;
    let check = |id: String| {
        let app = &app;
        async move {
            messaging(app)
                .validate_messaging_capability(service(v1::ValidateMessagingCapabilityRequest {
                    integration_id: id,
                }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let ok = check(integration.clone()).await;
    assert!(ok.can_send && ok.integration_active && ok.channel_configured);
    assert_eq!(ok.reason, "");

    let no_channel = check(bare.id.clone()).await;
    assert!(
        !no_channel.can_send && no_channel.integration_active && !no_channel.channel_configured
    );
    assert_eq!(no_channel.reason, "notification_channel_not_set");

    app.sim_post(
        &format!("/_sim/workspaces/{ws}/channels/{channel}/archive"),
        json!({}),
    )
    .await;
    send(&app, send_request(&integration, "a", "x", true))
        .await
        .unwrap();
    let archived = check(integration.clone()).await;
    assert!(!archived.can_send && !archived.channel_configured);
    assert_eq!(archived.reason, "notification_channel_archived");

    app.sim_post(&format!("/_sim/workspaces/{ws}/revoke"), json!({}))
        .await;
    let revoked = check(bare.id.clone()).await;
    assert!(!revoked.can_send);
    assert_eq!(revoked.reason, "token_revoked");
}

#[tokio::test]
async fn a_bad_reply_reports_every_bad_field() {
    let app = TestApp::spawn().await;
    let err = messaging(&app)
        .reply_to_message(service(v1::ReplyToMessageRequest {
            integration_id: "nope".into(),
            parent_internal_message_id: String::new(),
            message: None,
            ..Default::default()
        }))
        .await
        .unwrap_err();
    let violations = field_violations(&err);
    for field in ["integration_id", "parent_internal_message_id", "message"] {
        assert!(violations.contains_key(field), "{field}: {violations:?}");
    }
}

#[tokio::test]
async fn capability_applies_what_auth_test_says_to_the_status() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    app.sim_post(&format!("/_sim/workspaces/{ws}/revoke"), json!({}))
        .await;

    let capability = messaging(&app)
        .validate_messaging_capability(service(v1::ValidateMessagingCapabilityRequest {
            integration_id: integration.clone(),
        }))
        .await
        .unwrap()
        .into_inner();

    assert!(!capability.can_send && !capability.integration_active);
    assert_eq!(capability.reason, "token_revoked");
    let after = app.get(&integration).await.unwrap();
    assert_eq!(after.status(), v1::IntegrationStatus::Revoked);
    assert_eq!(after.status_reason, "token_revoked");
}
