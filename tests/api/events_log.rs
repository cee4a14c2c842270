//! The event log as the real flows write it, read through ListEvents and StreamEvents.

use std::time::Duration;

use serde_json::json;
use switchboard::proto::v1::{self, event::Payload, event_service_client::EventServiceClient};
use tonic::Code;

use crate::{
    events::{callback, now},
    helpers::*,
    messaging_helpers::*,
};

pub fn events_client(app: &TestApp) -> EventServiceClient<tonic::transport::Channel> {
    EventServiceClient::new(app.channel.clone())
}

pub fn list(team: &str, types: &[&str], page_size: i32, page_token: &str) -> v1::ListEventsRequest {
    v1::ListEventsRequest {
        team_id: team.into(),
        types: types.iter().map(|t| (*t).to_owned()).collect(),
        page_size,
        page_token: page_token.into(),
    }
}

/// Every event a service key sees for `team` (all teams when empty), page by page.
pub async fn all_events(
    client: &mut EventServiceClient<tonic::transport::Channel>,
    team: &str,
) -> Vec<v1::Event> {
    let mut events = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_events(service(list(team, &[], 7, &token)))
            .await
            .unwrap()
            .into_inner();
        events.extend(page.events);
        if page.next_page_token.is_empty() {
            return events;
        }
        token = page.next_page_token;
    }
}

/// The log once `count` events are visible: an event shows only once every transaction
/// older than its own has ended, and other tests' transactions share the cluster.
pub async fn visible_events(app: &TestApp, team: &str, count: usize) -> Vec<v1::Event> {
    let mut client = events_client(app);
    wait_for(
        "the events to be visible",
        Duration::from_secs(30),
        async || all_events(&mut client, team).await.len() >= count,
    )
    .await;
    all_events(&mut client, team).await
}

fn types(events: &[v1::Event]) -> Vec<&str> {
    events.iter().map(|e| e.r#type.as_str()).collect()
}

#[tokio::test]
async fn each_flow_writes_its_event_in_order() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, channel) = ready_integration(&app, "team-1", &ws).await;
    let duplicate = app.install("team-1", &ws).await.unwrap_err();
    assert_eq!(duplicate.code(), Code::AlreadyExists);
    let sent = send(&app, send_request(&integration, "ok", "x", true))
        .await
        .unwrap();
    // A post into a channel archived behind our back fails for good.
    app.sim_post(
        &format!("/_sim/workspaces/{ws}/channels/{channel}/archive"),
        json!({}),
    )
    .await;
    let failed = send(&app, send_request(&integration, "bad", "x", true))
        .await
        .unwrap();
    assert_eq!(failed.state(), v1::DeliveryState::Failed);
    let unarchive = callback(
        "Ev1",
        &ws,
        now(),
        json!({"type": "channel_unarchive", "channel": channel}),
    );
    assert_eq!(app.post_event(&unarchive).await.status(), 200);
    v1::channel_service_client::ChannelServiceClient::new(app.channel.clone())
        .clear_notification_channel(service(v1::ClearNotificationChannelRequest {
            integration_id: integration.clone(),
        }))
        .await
        .unwrap();
    app.client()
        .update_integration(service(v1::UpdateIntegrationRequest {
            integration: Some(v1::Integration {
                id: integration.clone(),
                enabled: false,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["enabled".into()],
            }),
        }))
        .await
        .unwrap();
    app.client()
        .delete_integration(service(v1::DeleteIntegrationRequest {
            integration_id: integration.clone(),
            ..Default::default()
        }))
        .await
        .unwrap();

    let events = visible_events(&app, "team-1", 10).await;
    let mut seen = types(&events);
    // The failed post and the channel state it revealed are two transactions of one attempt.
    seen[4..6].sort_unstable();
    assert_eq!(
        seen,
        [
            "integration.created",
            "channel.set",
            "integration.duplicate_attempt",
            "delivery.sent",
            "channel.state_changed",
            "delivery.failed",
            "channel.state_changed",
            "channel.cleared",
            "integration.status_changed",
            "integration.deleted",
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e.team_id == "team-1" && e.integration_id == integration)
    );
    let payload = |t: &str| {
        events
            .iter()
            .find(|e| e.r#type == t)
            .unwrap()
            .payload
            .clone()
            .unwrap()
    };
    let Payload::DeliverySent(delivered) = payload("delivery.sent") else {
        panic!()
    };
    assert_eq!(
        (delivered.delivery_id, delivered.internal_message_id),
        (sent.id, "ok".to_owned())
    );
    assert_eq!(
        (delivered.channel_id.as_str(), delivered.slack_ts.as_str()),
        (channel.as_str(), sent.slack_ts.as_str())
    );
    let Payload::DeliveryFailed(gave_up) = payload("delivery.failed") else {
        panic!()
    };
    assert_eq!(
        (gave_up.reason.as_str(), gave_up.attempts),
        ("is_archived", 1)
    );
    let Payload::IntegrationStatusChanged(status) = payload("integration.status_changed") else {
        panic!()
    };
    assert_eq!(
        (status.from(), status.to(), status.reason.as_str()),
        (
            v1::IntegrationStatus::Active,
            v1::IntegrationStatus::Inactive,
            "disabled"
        )
    );
    let changes: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.payload {
            Some(Payload::ChannelStateChanged(c)) => Some((c.from(), c.to())),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        [
            (v1::ChannelState::Ready, v1::ChannelState::Archived),
            (v1::ChannelState::Archived, v1::ChannelState::Ready)
        ]
    );
}

#[tokio::test]
async fn list_pages_filter_by_type_and_refuse_bad_input() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    for team in ["team-1", "team-2", "team-3"] {
        ready_integration(&app, team, &ws).await;
    }
    let mut client = events_client(&app);
    let everything = visible_events(&app, "", 6).await;
    assert_eq!(everything.len(), 6);
    let cursors: Vec<_> = everything.iter().map(|e| e.cursor.clone()).collect();
    let mut unique = cursors.clone();
    unique.dedup();
    assert_eq!(unique, cursors, "every event has its own cursor");

    let sets = client
        .list_events(service(list("", &["channel.set"], 0, "")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(types(&sets.events), ["channel.set"; 3]);

    let unknown = client
        .list_events(service(list("", &["channel.set", "nope"], 0, "")))
        .await
        .unwrap_err();
    assert_error(&unknown, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert!(field_violations(&unknown)["types[1]"].contains("nope"));
    let first = client
        .list_events(service(list("", &[], 2, "")))
        .await
        .unwrap()
        .into_inner();
    let refiltered = client
        .list_events(service(list("team-1", &[], 2, &first.next_page_token)))
        .await
        .unwrap_err();
    assert!(field_violations(&refiltered).contains_key("page_token"));
    let negative = client
        .list_events(service(list("", &[], -1, "")))
        .await
        .unwrap_err();
    assert!(field_violations(&negative).contains_key("page_size"));
    let bad_cursor = client
        .stream_events(service(v1::StreamEventsRequest {
            after: "garbage".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_error(&bad_cursor, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert!(field_violations(&bad_cursor).contains_key("after"));
}

#[tokio::test]
async fn a_team_jwt_sees_only_its_own_events() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (own, _) = ready_integration(&app, "team-1", &ws).await;
    ready_integration(&app, "team-2", &ws).await;
    let mut client = events_client(&app);
    visible_events(&app, "", 4).await;

    let mine = client
        .list_events(as_team("team-1", list("", &[], 0, "")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(types(&mine.events), ["integration.created", "channel.set"]);
    assert!(
        mine.events
            .iter()
            .all(|e| e.team_id == "team-1" && e.integration_id == own)
    );
    let theirs = client
        .list_events(as_team("team-1", list("team-2", &[], 0, "")))
        .await
        .unwrap_err();
    assert_error(&theirs, Code::PermissionDenied, "PERMISSION_DENIED");
    let stream_theirs = client
        .stream_events(as_team(
            "team-1",
            v1::StreamEventsRequest {
                team_id: "team-2".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_error(&stream_theirs, Code::PermissionDenied, "PERMISSION_DENIED");

    // Streaming with no team named: team-1's events only, also those written later.
    let mut stream = client
        .stream_events(as_team("team-1", v1::StreamEventsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let mut got = Vec::new();
    for _ in 0..2 {
        got.push(stream.message().await.unwrap().unwrap());
    }
    ready_integration(&app, "team-2", &app.create_workspace("W2").await).await;
    ready_integration(&app, "team-1", &app.create_workspace("W3").await).await;
    for _ in 0..2 {
        got.push(
            tokio::time::timeout(Duration::from_secs(30), stream.message())
                .await
                .unwrap()
                .unwrap()
                .unwrap(),
        );
    }
    assert_eq!(
        types(&got),
        [
            "integration.created",
            "channel.set",
            "integration.created",
            "channel.set"
        ]
    );
    assert!(got.iter().all(|e| e.team_id == "team-1"));
}

#[tokio::test]
async fn retention_removes_old_events_in_batches_and_expires_their_cursors() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    for team in ["team-1", "team-2", "team-3"] {
        ready_integration(&app, team, &ws).await;
    }
    let mut client = events_client(&app);
    let before = visible_events(&app, "", 6).await;
    // The first four events are made 40 days old.
    let old: Vec<uuid::Uuid> = before[..4].iter().map(|e| e.id.parse().unwrap()).collect();
    sqlx::query("UPDATE events SET create_time = now() - interval '40 days' WHERE id = ANY($1)")
        .bind(&old)
        .execute(&app.db)
        .await
        .unwrap();

    let store = switchboard::store::Store::new(app.db.clone());
    let retention = Duration::from_secs(30 * 24 * 3600);
    assert_eq!(
        store.remove_events_older_than(retention, 3).await.unwrap(),
        3
    );
    assert_eq!(
        store.remove_events_older_than(retention, 3).await.unwrap(),
        1
    );
    assert_eq!(
        store.remove_events_older_than(retention, 3).await.unwrap(),
        0
    );

    let after = all_events(&mut client, "").await;
    assert_eq!(after, before[4..]);
    // Resuming right after the last removed event misses nothing: still fine.
    let resumed = client
        .stream_events(service(v1::StreamEventsRequest {
            after: before[3].cursor.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .message()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resumed, before[4]);
    // A cursor before it has lost events.
    let mut expired = client
        .stream_events(service(v1::StreamEventsRequest {
            after: before[1].cursor.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let status = expired.message().await.unwrap_err();
    assert_error(&status, Code::OutOfRange, "EVENT_CURSOR_EXPIRED");
}
