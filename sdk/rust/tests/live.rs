//! The client against a real switchboard, Postgres and slack-sim, started by
//! `scripts/sdk_harness.py` (`scripts/sdk.sh test`), which sets the environment read here.
//! The tests share one service (one restarts it), so they run one at a time:
//! `cargo test -p switchboard-client -- --test-threads=1`.

use std::{collections::HashMap, time::Duration};

use futures_util::TryStreamExt;
use serde_json::{Value, json};
use switchboard_client::{Client, Error, RetryPolicy, proto::v1};
use tonic::Code;

// The event stream tests, with these helpers.
#[path = "live/events.rs"]
mod events;

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is unset: run under scripts/sdk_harness.py"))
}

async fn client_with(credential: Option<String>, retry: RetryPolicy) -> Client {
    let mut builder = Client::builder(env("SWITCHBOARD_ADDR")).retry(retry);
    if let Some(credential) = credential {
        builder = builder.credential(credential);
    }
    builder.connect().await.expect("connect to switchboard")
}

async fn service_client() -> Client {
    client_with(Some(env("SWITCHBOARD_API_KEY")), RetryPolicy::default()).await
}

/// A team JWT signed with the service's secret.
fn team_token(team: &str) -> String {
    #[derive(serde::Serialize)]
    struct Claims<'a> {
        team_id: &'a str,
        exp: u64,
    }
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &Claims { team_id: team, exp },
        &jsonwebtoken::EncodingKey::from_secret(env("SWITCHBOARD_JWT_SECRET").as_bytes()),
    )
    .unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sim(method: reqwest::Method, path: &str, body: Value) -> Value {
    let answer = http()
        .request(method, format!("{}{path}", env("SLACK_SIM_URL")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        answer.status().is_success(),
        "sim {path}: {}",
        answer.status()
    );
    answer.json().await.unwrap_or(Value::Null)
}

/// A simulated workspace of its own, with #general.
async fn workspace(name: &str) -> String {
    let id = sim(
        reqwest::Method::POST,
        "/_sim/workspaces",
        json!({"name": name}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/_sim/workspaces/{id}/channels");
    sim(reqwest::Method::POST, &path, json!({"name": "general"})).await;
    id
}

async fn install(client: &Client, team: &str, workspace: &str) -> Result<v1::Integration, Error> {
    let start = client
        .integrations()
        .start_slack_o_auth(v1::StartSlackOAuthRequest {
            team_id: team.into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    let redirect = http()
        .get(format!("{}&team={workspace}", start.authorize_url))
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(redirect.headers()["location"].to_str().unwrap()).unwrap();
    let query: HashMap<String, String> = location.query_pairs().into_owned().collect();
    Ok(client
        .integrations()
        .complete_slack_o_auth(v1::CompleteSlackOAuthRequest {
            code: query["code"].clone(),
            state: query["state"].clone(),
        })
        .await?
        .into_inner())
}

/// An integration of `team` in a fresh workspace, its #general chosen.
async fn ready_integration(client: &Client, team: &str) -> (v1::Integration, String) {
    let ws = workspace(team).await;
    let integration = install(client, team, &ws).await.unwrap();
    choose_general(client, &integration).await;
    (integration, ws)
}

/// Makes the workspace's #general (its only channel) the integration's notification channel.
async fn choose_general(client: &Client, integration: &v1::Integration) {
    let channels: Vec<v1::Channel> = client
        .all_channels(v1::ListChannelsRequest {
            integration_id: integration.id.clone(),
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    client
        .channels()
        .set_notification_channel(v1::SetNotificationChannelRequest {
            integration_id: integration.id.clone(),
            channel_id: channels[0].id.clone(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn every_call_carries_the_credential_and_a_team_token_sees_only_its_team() {
    let anonymous = client_with(None, RetryPolicy::none()).await;
    let refused = anonymous
        .integrations()
        .list_platforms(v1::ListPlatformsRequest::default())
        .await
        .map_err(Error::from)
        .unwrap_err();
    assert_eq!(
        (refused.code, refused.reason.as_str()),
        (Code::Unauthenticated, "CREDENTIAL_MISSING")
    );
    assert_eq!(refused.domain, "switchboard");

    let client = service_client().await;
    let (theirs, _) = ready_integration(&client, "auth-team-b").await;
    let team_a = client_with(Some(team_token("auth-team-a")), RetryPolicy::none()).await;
    let denied = team_a
        .integrations()
        .get_integration(v1::GetIntegrationRequest {
            integration_id: theirs.id,
        })
        .await
        .map_err(Error::from)
        .unwrap_err();
    assert_eq!(denied.code, Code::PermissionDenied);
    let own: Vec<v1::Integration> = team_a
        .all_integrations(v1::ListIntegrationsRequest {
            team_id: "auth-team-a".into(),
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert!(own.is_empty());
}

#[tokio::test]
async fn bad_input_names_each_field() {
    let client = service_client().await;
    let err = Error::from(
        client
            .integrations()
            .start_slack_o_auth(v1::StartSlackOAuthRequest::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(err.code, Code::InvalidArgument);
    assert!(!err.reason.is_empty());
    assert!(
        err.field_violations.iter().any(|v| v.field == "team_id"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_duplicate_install_reconnects_with_its_details_in_two_lines() {
    let client = service_client().await;
    let (first, ws) = ready_integration(&client, "dup-team").await;
    let err = install(&client, "dup-team", &ws).await.unwrap_err();
    assert_eq!(
        (err.code, err.reason.as_str()),
        (Code::AlreadyExists, "INTEGRATION_ALREADY_EXISTS")
    );
    assert_eq!(err.metadata["integration_id"], first.id);

    let details = err.reconnect.expect("ReconnectDetails on ALREADY_EXISTS");
    let reconnected = client
        .integrations()
        .reconnect_integration(v1::ReconnectIntegrationRequest {
            integration_id: first.id.clone(),
            reconnect_token: details.reconnect_token,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reconnected.id, first.id);
    assert_eq!(reconnected.reconnect_count, 1);
}

#[tokio::test]
async fn unavailable_says_when_to_retry_and_the_client_waits_that_long() {
    let fault =
        json!({"method": "oauth.v2.access", "kind": "rate_limited", "retry_after": 1, "times": 1});
    let ws = workspace("retry-info").await;

    sim(reqwest::Method::POST, "/_sim/faults", fault.clone()).await;
    let once = client_with(Some(env("SWITCHBOARD_API_KEY")), RetryPolicy::none()).await;
    let err = install(&once, "retry-team", &ws).await.unwrap_err();
    assert_eq!(err.code, Code::Unavailable);
    assert_eq!(err.retry_delay, Some(Duration::from_secs(1)));

    sim(reqwest::Method::POST, "/_sim/faults", fault).await;
    let started = std::time::Instant::now();
    let installed = install(&service_client().await, "retry-team", &ws)
        .await
        .unwrap();
    assert_eq!(installed.team_id, "retry-team");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the retry waited for RetryInfo"
    );
}

#[tokio::test]
async fn a_send_whose_answer_is_lost_is_retried_and_posted_once() {
    let patient = RetryPolicy {
        max_attempts: 10,
        initial_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(2),
    };
    let client = client_with(Some(env("SWITCHBOARD_API_KEY")), patient).await;
    let (integration, ws) = ready_integration(&client, "restart-team").await;
    // Slack sits on the post, so the call is still waiting for it when the service dies.
    let hold =
        json!({"method": "chat.postMessage", "kind": "hold", "times": 1, "workspace_id": ws});
    sim(reqwest::Method::POST, "/_sim/faults", hold).await;

    let sender = client.clone();
    let request = v1::SendMessageRequest {
        integration_id: integration.id.clone(),
        message: Some(v1::Message {
            text: "exactly once".into(),
            ..Default::default()
        }),
        wait_for_delivery: true,
        ..Default::default()
    };
    let call = tokio::spawn(async move {
        let mut request = tonic::Request::new(request);
        request.set_timeout(Duration::from_secs(90));
        sender.messaging().send_message(request).await
    });
    loop {
        let calls = sim(
            reqwest::Method::GET,
            "/_sim/calls?method=chat.postMessage",
            Value::Null,
        )
        .await;
        if calls
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["workspace_id"] == ws.as_str()))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let restart = http()
        .post(format!("{}/restart", env("SWITCHBOARD_HARNESS_URL")))
        .send()
        .await
        .unwrap();
    assert!(restart.status().is_success());
    sim(reqwest::Method::POST, "/_sim/faults/release", json!({})).await;

    let delivery = call
        .await
        .unwrap()
        .expect("the retried call answers")
        .into_inner();
    assert_eq!(delivery.state(), v1::DeliveryState::Sent);
    assert_eq!(
        delivery.internal_message_id.len(),
        36,
        "an id filled by the client"
    );
    let messages = sim(reqwest::Method::GET, "/_sim/messages", Value::Null).await;
    let posts = messages["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["metadata"]["event_payload"]["delivery_id"] == delivery.id.as_str())
        .count();
    assert_eq!(posts, 1);
}

#[tokio::test]
async fn listings_stream_every_page() {
    let client = service_client().await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let ws = workspace(&format!("pages-{n}")).await;
        ids.push(install(&client, "pages-team", &ws).await.unwrap().id);
    }
    let listed: Vec<String> = client
        .all_integrations(v1::ListIntegrationsRequest {
            team_id: "pages-team".into(),
            page_size: 1,
            ..Default::default()
        })
        .map_ok(|i| i.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, ids);
}
