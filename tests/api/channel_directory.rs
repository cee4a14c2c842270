//! The channel directory: ListChannels answers from a listing stored in Postgres, filled
//! page by page from `conversations.list` (429s waited out, resumed from the stored cursor,
//! also by another process), one replica at a time, refreshed in the background and kept
//! current by channel events.

use std::time::Duration;

use serde_json::json;
use switchboard::{config::Config, proto::v1, startup::Application};
use tokio::sync::oneshot;
use tonic::{Code, transport::Channel};

use crate::{
    channels::{create_channels, list},
    events::{callback, now},
    helpers::*,
};

const BIG: usize = 20_000;

/// Another replica of the service, on the same database and simulator; stops when dropped.
struct Replica {
    channel: Channel,
    _stop: oneshot::Sender<()>,
}

impl Replica {
    async fn start(app: &TestApp, db_url: &str, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = test_config(db_url, &app.sim.api_url(), &app.sim.authorize_url());
        tweak(&mut config);
        let replica = Application::build(config).await.expect("build replica");
        let addr = replica.grpc_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(replica.run_until_stopped(async {
            let _ = stopped.await;
        }));
        let channel = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .expect("connect to replica");
        Self {
            channel,
            _stop: stop,
        }
    }
}

fn query(integration_id: &str, name_query: Option<&str>) -> v1::ListChannelsRequest {
    v1::ListChannelsRequest {
        integration_id: integration_id.into(),
        page_size: 1000,
        name_query: name_query.map(str::to_owned),
        ..Default::default()
    }
}

/// Where the workspace's stored listing stands: (a cursor is stored, a listing completed,
/// entries stored).
async fn listing(app: &TestApp, workspace: &str) -> (bool, bool, i64) {
    sqlx::query_as(
        "SELECT d.cursor IS NOT NULL, d.complete_time IS NOT NULL,
                (SELECT count(*) FROM channel_directory_entries e
                 WHERE e.workspace_id = d.workspace_id)
         FROM channel_directories d WHERE d.workspace_id = $1",
    )
    .bind(workspace)
    .fetch_optional(&app.db)
    .await
    .unwrap()
    .unwrap_or((false, false, 0))
}

async fn list_calls(app: &TestApp) -> usize {
    app.sim_calls("conversations.list").await.len()
}

#[tokio::test]
async fn twenty_thousand_channels_are_listed_across_429s_and_a_restart_then_searched_without_slack()
{
    let mut db_url = String::new();
    let app = TestApp::spawn_with(|config| {
        db_url = secrecy::ExposeSecret::expose_secret(&config.database.url).to_owned();
    })
    .await;
    let ws = app.create_workspace("Huge").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    create_channels(&app, &ws, json!({"name": "room", "count": BIG})).await;

    // The first ListChannels lists Slack itself, 1000 a page. A 429 longer than a call
    // waits out, at the sixth page, stops it with five pages and the cursor stored.
    app.inject_fault(
        json!({"method": "conversations.list", "kind": "rate_limited",
                            "retry_after": 11, "every": 6, "times": 1}),
    )
    .await;
    let err = list(&app, query(&integration.id, None)).await.unwrap_err();
    let details = assert_error(&err, Code::Unavailable, "SLACK_UNAVAILABLE");
    assert_eq!(
        details.retry_info().and_then(|r| r.retry_delay),
        Some(Duration::from_secs(11))
    );
    assert_eq!(listing(&app, &ws).await, (true, false, 5_000));
    assert_eq!(list_calls(&app).await, 6);

    // A new process (nothing in memory) whose background refresher resumes the listing
    // at the stored cursor once Slack's Retry-After has passed, waiting out two more 429s.
    app.clear_faults().await;
    app.inject_fault(
        json!({"method": "conversations.list", "kind": "rate_limited",
                            "retry_after": 1, "every": 5, "times": 2}),
    )
    .await;
    let _refresher = Replica::start(&app, &db_url, |config| {
        config.channel_directory_refresh = Some(Duration::from_secs(600));
    })
    .await;
    wait_for(
        "the listing to complete",
        Duration::from_secs(60),
        async || listing(&app, &ws).await.1,
    )
    .await;
    assert_eq!(listing(&app, &ws).await, (false, true, BIG as i64));
    // Pages 6 to 20 and the two 429s: the listing never started over.
    assert_eq!(list_calls(&app).await, 6 + 15 + 2);

    // Slack now fails every call: ListChannels answers from the stored listing.
    app.inject_fault(json!({"method": "*", "kind": "http_status", "status": 500}))
        .await;
    let all = list(&app, query(&integration.id, None)).await.unwrap();
    assert_eq!(all.total_size, BIG as i32);
    assert_eq!(all.channels.len(), 1000);
    let search = "room-1999";
    let expected: Vec<String> = {
        let mut names: Vec<String> = (0..BIG)
            .map(|i| format!("room-{i:04}"))
            .filter(|n| n.contains(search))
            .collect();
        names.sort();
        names
    };
    let mut found = Vec::new();
    let mut token = String::new();
    loop {
        let page = list(
            &app,
            v1::ListChannelsRequest {
                page_size: 4,
                page_token: token,
                ..query(&integration.id, Some("ROOM-1999"))
            },
        )
        .await
        .unwrap();
        assert_eq!(page.total_size as usize, expected.len());
        found.extend(page.channels.into_iter().map(|c| c.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(found, expected);
    // Wildcards are plain characters in a query.
    let none = list(&app, query(&integration.id, Some("room_%")))
        .await
        .unwrap();
    assert_eq!(none.total_size, 0);
    assert_eq!(list_calls(&app).await, 6 + 15 + 2, "no call reached Slack");
}

#[tokio::test]
async fn one_replica_lists_a_workspace_at_a_time() {
    let mut db_url = String::new();
    let app = TestApp::spawn_with(|config| {
        db_url = secrecy::ExposeSecret::expose_secret(&config.database.url).to_owned();
    })
    .await;
    let other = Replica::start(&app, &db_url, |_| {}).await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    create_channels(&app, &ws, json!({"name": "c", "count": 30})).await;

    // This replica's first listing is held inside Slack.
    app.inject_fault(json!({"method": "conversations.list", "kind": "hold", "times": 1}))
        .await;
    let first = {
        let channel = app.channel.clone();
        let request = query(&integration.id, None);
        tokio::spawn(async move {
            v1::channel_service_client::ChannelServiceClient::new(channel)
                .list_channels(service(request))
                .await
        })
    };
    wait_until(async || list_calls(&app).await == 1).await;

    // The other replica does not list the workspace beside it: it waits for the lock
    // until its caller's deadline, then answers UNAVAILABLE.
    let mut request = service(query(&integration.id, None));
    request.set_timeout(Duration::from_secs(2));
    let err = v1::channel_service_client::ChannelServiceClient::new(other.channel.clone())
        .list_channels(request)
        .await
        .unwrap_err();
    assert_error(&err, Code::Unavailable, "SLACK_UNAVAILABLE");
    assert_eq!(list_calls(&app).await, 1);

    app.sim_post("/_sim/faults/release", json!({})).await;
    let listed = first.await.unwrap().unwrap().into_inner();
    assert_eq!(listed.total_size, 30);
    let again = v1::channel_service_client::ChannelServiceClient::new(other.channel.clone())
        .list_channels(service(query(&integration.id, None)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.channels, listed.channels);
    assert_eq!(
        list_calls(&app).await,
        1,
        "the other replica reads the stored listing"
    );
}

#[tokio::test]
async fn channel_events_keep_the_directory_current() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    let ids = create_channels(&app, &ws, json!({"name": "c", "count": 5})).await;
    let names = |page: &v1::ListChannelsResponse| -> Vec<String> {
        page.channels.iter().map(|c| c.name.clone()).collect()
    };
    let listed = list(&app, query(&integration.id, None)).await.unwrap();
    assert_eq!(
        names(&listed),
        ["c-0000", "c-0001", "c-0002", "c-0003", "c-0004"]
    );
    assert!(listed.channels.iter().all(|c| !c.is_member));

    let events = [
        json!({"type": "channel_rename", "channel": {"id": ids[0], "name": "zeta", "created": 1}}),
        json!({"type": "channel_archive", "channel": ids[1], "user": "U1"}),
        json!({"type": "channel_deleted", "channel": ids[2]}),
        json!({"type": "channel_created", "channel": {"id": "C0NEW0001", "name": "alpha", "creator": "U1"}}),
        // Archived and back: listed again.
        json!({"type": "channel_archive", "channel": ids[3], "user": "U1"}),
        json!({"type": "channel_unarchive", "channel": ids[3], "user": "U1"}),
    ];
    for (n, event) in events.into_iter().enumerate() {
        let answer = app
            .post_event(&callback(&format!("Ev{n}"), &ws, now(), event))
            .await;
        assert_eq!(answer.status(), 200);
    }
    // Choosing a channel joins it: the directory says the bot is a member.
    channels_client(&app)
        .set_notification_channel(service(v1::SetNotificationChannelRequest {
            integration_id: integration.id.clone(),
            channel_id: ids[4].clone(),
        }))
        .await
        .unwrap();

    let after = list(&app, query(&integration.id, None)).await.unwrap();
    assert_eq!(names(&after), ["alpha", "c-0003", "c-0004", "zeta"]);
    assert_eq!(after.total_size, 4);
    let member: Vec<bool> = after.channels.iter().map(|c| c.is_member).collect();
    assert_eq!(member, [false, false, true, false]);
    let renamed = list(&app, query(&integration.id, Some("zet")))
        .await
        .unwrap();
    assert_eq!(renamed.channels[0].id, ids[0]);
    assert_eq!(
        list_calls(&app).await,
        1,
        "events, not listings, changed it"
    );
}

#[tokio::test]
async fn the_background_refresher_lists_new_workspaces_and_drops_gone_channels() {
    let app = TestApp::spawn_with(|config| {
        config.channel_directory_refresh = Some(Duration::from_secs(1));
    })
    .await;
    let ws = app.create_workspace("W").await;
    let ids = create_channels(&app, &ws, json!({"name": "c", "count": 3})).await;
    let integration = app.install("team-1", &ws).await.unwrap();
    wait_for(
        "the first background listing",
        Duration::from_secs(20),
        async || listing(&app, &ws).await == (false, true, 3),
    )
    .await;

    // Gone and new without an event: the next listing finds out.
    app.http_client()
        .delete(format!(
            "{}/_sim/workspaces/{ws}/channels/{}",
            app.sim.base_url(),
            ids[0]
        ))
        .send()
        .await
        .unwrap();
    create_channels(&app, &ws, json!({"name": "later"})).await;
    wait_for(
        "a listing without the deleted channel",
        Duration::from_secs(20),
        async || {
            let page = list(&app, query(&integration.id, None)).await.unwrap();
            page.channels
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                == ["c-0001", "c-0002", "later"]
        },
    )
    .await;
}

fn channels_client(app: &TestApp) -> v1::channel_service_client::ChannelServiceClient<Channel> {
    v1::channel_service_client::ChannelServiceClient::new(app.channel.clone())
}
