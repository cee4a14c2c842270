use serde_json::{Value, json};
use switchboard::proto::v1::{self, ChannelState, channel_service_client::ChannelServiceClient};
use tonic::{Code, Status, transport::Channel};

use crate::helpers::*;

fn channels(app: &TestApp) -> ChannelServiceClient<Channel> {
    ChannelServiceClient::new(app.channel.clone())
}

/// Creates channels in the simulated workspace; returns their ids.
pub async fn create_channels(app: &TestApp, workspace: &str, body: Value) -> Vec<String> {
    let created = app
        .sim_post(&format!("/_sim/workspaces/{workspace}/channels"), body)
        .await;
    created
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn set(
    app: &TestApp,
    integration: &str,
    channel: &str,
) -> Result<v1::NotificationChannel, Status> {
    channels(app)
        .set_notification_channel(service(v1::SetNotificationChannelRequest {
            integration_id: integration.into(),
            channel_id: channel.into(),
        }))
        .await
        .map(|r| r.into_inner())
}

async fn get(app: &TestApp, integration: &str) -> Result<v1::NotificationChannel, Status> {
    channels(app)
        .get_notification_channel(service(v1::GetNotificationChannelRequest {
            integration_id: integration.into(),
        }))
        .await
        .map(|r| r.into_inner())
}

pub async fn list(
    app: &TestApp,
    request: v1::ListChannelsRequest,
) -> Result<v1::ListChannelsResponse, Status> {
    channels(app)
        .list_channels(service(request))
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn choosing_a_channel_joins_it_and_takes_slacks_name() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    let ids = create_channels(&app, &ws, json!({"name": "alerts", "purpose": "Alerts"})).await;

    let chosen = set(&app, &integration.id, &ids[0]).await.unwrap();
    assert_eq!(chosen.channel_id, ids[0]);
    assert_eq!(chosen.channel_name, "alerts");
    assert_eq!(chosen.state(), ChannelState::Ready);
    assert!(chosen.set_time.is_some());
    assert_eq!(app.sim_calls("conversations.join").await.len(), 1);

    assert_eq!(get(&app, &integration.id).await.unwrap(), chosen);
    let with_channel = app.get(&integration.id).await.unwrap();
    assert_eq!(with_channel.notification_channel, Some(chosen));

    // Choosing it again: the bot is a member now, so no second join.
    set(&app, &integration.id, &ids[0]).await.unwrap();
    assert_eq!(app.sim_calls("conversations.join").await.len(), 1);

    channels(&app)
        .clear_notification_channel(service(v1::ClearNotificationChannelRequest {
            integration_id: integration.id.clone(),
        }))
        .await
        .unwrap();
    let err = get(&app, &integration.id).await.unwrap_err();
    assert_error(&err, Code::NotFound, "NOTIFICATION_CHANNEL_NOT_SET");
    assert_eq!(
        app.get(&integration.id).await.unwrap().notification_channel,
        None
    );
}

#[tokio::test]
async fn archived_private_and_unknown_channels_are_refused() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    let archived = create_channels(&app, &ws, json!({"name": "old"}))
        .await
        .remove(0);
    app.sim_post(
        &format!("/_sim/workspaces/{ws}/channels/{archived}/archive"),
        json!({}),
    )
    .await;
    let private = create_channels(
        &app,
        &ws,
        json!({"name": "secret", "is_private": true, "bot_member": true}),
    )
    .await
    .remove(0);

    let err = set(&app, &integration.id, &archived).await.unwrap_err();
    assert_error(&err, Code::FailedPrecondition, "CHANNEL_ARCHIVED");
    let err = set(&app, &integration.id, &private).await.unwrap_err();
    assert_error(&err, Code::FailedPrecondition, "CHANNEL_NOT_PUBLIC");
    let err = set(&app, &integration.id, "C0NOSUCH1").await.unwrap_err();
    assert_error(&err, Code::NotFound, "CHANNEL_NOT_FOUND");
    let err = set(&app, &integration.id, "general").await.unwrap_err();
    assert!(field_violations(&err).contains_key("channel_id"));
    let err = get(&app, &integration.id).await.unwrap_err();
    assert_error(&err, Code::NotFound, "NOTIFICATION_CHANNEL_NOT_SET");
}

#[tokio::test]
async fn a_disabled_integration_cannot_choose_a_channel() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    let id = create_channels(&app, &ws, json!({"name": "alerts"}))
        .await
        .remove(0);
    app.client()
        .update_integration(service(v1::UpdateIntegrationRequest {
            integration: Some(v1::Integration {
                id: integration.id.clone(),
                enabled: false,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["enabled".into()],
            }),
        }))
        .await
        .unwrap();
    let err = set(&app, &integration.id, &id).await.unwrap_err();
    assert_error(&err, Code::FailedPrecondition, "INTEGRATION_NOT_ACTIVE");
}

#[tokio::test]
async fn another_teams_integration_is_permission_denied() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    let err = channels(&app)
        .list_channels(as_team(
            "team-2",
            v1::ListChannelsRequest {
                integration_id: integration.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_error(&err, Code::PermissionDenied, "PERMISSION_DENIED");
}

#[tokio::test]
async fn a_large_workspace_is_listed_whole_sorted_paged_and_stored() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("Big").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    create_channels(&app, &ws, json!({"name": "omega"})).await;
    create_channels(&app, &ws, json!({"name": "bulk", "count": 1047})).await;
    create_channels(&app, &ws, json!({"name": "kilo", "bot_member": true})).await;
    create_channels(&app, &ws, json!({"name": "alpha"})).await;
    let gone = create_channels(&app, &ws, json!({"name": "archived"}))
        .await
        .remove(0);
    app.sim_post(
        &format!("/_sim/workspaces/{ws}/channels/{gone}/archive"),
        json!({}),
    )
    .await;
    create_channels(&app, &ws, json!({"name": "hidden", "is_private": true})).await;

    let mut names = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = list(
            &app,
            v1::ListChannelsRequest {
                integration_id: integration.id.clone(),
                page_size: 400,
                page_token: token,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        pages += 1;
        assert_eq!(page.total_size, 1050);
        names.extend(page.channels.iter().map(|c| c.name.clone()));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 1050);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(names[0], "alpha");
    assert_eq!(names[1048], "kilo");
    assert_eq!(names[1049], "omega");
    assert!(!names.iter().any(|n| n == "archived" || n == "hidden"));
    // 1,052 channels at 1000 a page (Slack's largest): two conversations.list calls, once.
    assert_eq!(app.sim_calls("conversations.list").await.len(), 2);

    let filtered = list(
        &app,
        v1::ListChannelsRequest {
            integration_id: integration.id.clone(),
            name_query: Some("KIL".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(filtered.total_size, 1);
    assert!(filtered.channels[0].is_member);
    assert_eq!(
        app.sim_calls("conversations.list").await.len(),
        2,
        "served from the stored listing"
    );

    list(
        &app,
        v1::ListChannelsRequest {
            integration_id: integration.id.clone(),
            refresh: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        app.sim_calls("conversations.list").await.len(),
        4,
        "refresh lists Slack again"
    );

    let err = list(
        &app,
        v1::ListChannelsRequest {
            integration_id: integration.id.clone(),
            page_token: "forged".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(field_violations(&err).contains_key("page_token"));
}

#[tokio::test]
async fn a_listing_rides_out_a_short_rate_limit() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    create_channels(&app, &ws, json!({"name": "c", "count": 250})).await;
    app.inject_fault(json!({"method": "conversations.list", "kind": "rate_limited", "retry_after": 1, "times": 1}))
        .await;
    let page = list(
        &app,
        v1::ListChannelsRequest {
            integration_id: integration.id.clone(),
            page_size: 1000,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(page.channels.len(), 250);
}
