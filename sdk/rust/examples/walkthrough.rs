//! The whole journey against `make run` (or the SDK test harness): install the Slack app
//! for a team, install it again and reconnect with the ReconnectDetails, pick #alerts,
//! send a templated message and a threaded reply, print the delivery and the dashboard.
//!
//!     cargo run -p switchboard-client --example walkthrough
//!
//! Settings from the environment (defaults fit `make run`): SWITCHBOARD_ADDR
//! (localhost:50051), SWITCHBOARD_API_KEY (.local/dev-api-key), SLACK_SIM_URL
//! (http://127.0.0.1:8900), SLACK_SIM_WORKSPACE_ID (the simulator's only workspace),
//! SWITCHBOARD_TEAM_ID (example-team).

use std::collections::HashMap;

use switchboard_client::{Client, Error, proto::v1};
use tonic::Code;

fn setting(name: &str, default: impl FnOnce() -> String) -> String {
    std::env::var(name).unwrap_or_else(|_| default())
}

/// Starts an install and "opens" the authorize URL: slack-sim approves at once and
/// redirects with a code, which completes it.
async fn install(client: &Client, team: &str) -> Result<v1::Integration, Error> {
    let start = client
        .integrations()
        .start_slack_o_auth(v1::StartSlackOAuthRequest {
            team_id: team.into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    let mut url = url::Url::parse(&start.authorize_url).expect("an authorize URL");
    if let Ok(workspace) = std::env::var("SLACK_SIM_WORKSPACE_ID") {
        url.query_pairs_mut().append_pair("team", &workspace);
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let redirect = http.get(url).send().await.expect("slack-sim answers");
    let location = redirect.headers()["location"].to_str().expect("a redirect");
    let query: HashMap<String, String> = url::Url::parse(location)
        .expect("a redirect URL")
        .query_pairs()
        .into_owned()
        .collect();
    let integration = client
        .integrations()
        .complete_slack_o_auth(v1::CompleteSlackOAuthRequest {
            code: query["code"].clone(),
            state: query["state"].clone(),
        })
        .await?
        .into_inner();
    Ok(integration)
}

/// Installs; when the team already has this workspace, reconnects it with the fresh
/// tokens instead (no second OAuth trip).
async fn install_or_reconnect(client: &Client, team: &str) -> Result<v1::Integration, Error> {
    match install(client, team).await {
        Err(Error {
            code: Code::AlreadyExists,
            reconnect: Some(details),
            ..
        }) => {
            let existing = details.existing_integration.unwrap_or_default();
            println!("already installed as {}: reconnecting", existing.id);
            let request = v1::ReconnectIntegrationRequest {
                integration_id: existing.id,
                reconnect_token: details.reconnect_token,
                ..Default::default()
            };
            Ok(client
                .integrations()
                .reconnect_integration(request)
                .await?
                .into_inner())
        }
        other => other,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = setting("SWITCHBOARD_ADDR", || "localhost:50051".into());
    let key = setting("SWITCHBOARD_API_KEY", || {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.local/dev-api-key");
        std::fs::read_to_string(path)
            .expect("SWITCHBOARD_API_KEY or make run's .local/dev-api-key")
            .trim()
            .to_owned()
    });
    let team = setting("SWITCHBOARD_TEAM_ID", || "example-team".into());
    let client = Client::builder(address).credential(key).connect().await?;

    let integration = install_or_reconnect(&client, &team).await?;
    println!("installed: {} ({})", integration.id, integration.name);
    // The same workspace again: ALREADY_EXISTS, answered by a reconnect.
    let integration = install_or_reconnect(&client, &team).await?;
    println!("reconnected {} times", integration.reconnect_count);

    let alerts = client
        .channels()
        .list_channels(v1::ListChannelsRequest {
            integration_id: integration.id.clone(),
            name_query: Some("alerts".into()),
            ..Default::default()
        })
        .await?
        .into_inner()
        .channels
        .into_iter()
        .next()
        .ok_or("the workspace has no #alerts")?;
    client
        .channels()
        .set_notification_channel(v1::SetNotificationChannelRequest {
            integration_id: integration.id.clone(),
            channel_id: alerts.id,
        })
        .await?;

    let template = v1::MessageTemplate {
        name: "deployment".into(),
        variables: HashMap::from([
            ("project".into(), "api".into()),
            ("environment".into(), "prod".into()),
            ("version".into(), "1.4.2".into()),
        ]),
    };
    let sent = client
        .messaging()
        .send_message(v1::SendMessageRequest {
            integration_id: integration.id.clone(),
            message: Some(v1::Message {
                template: Some(template),
                ..Default::default()
            }),
            wait_for_delivery: true,
            ..Default::default()
        })
        .await?
        .into_inner();
    println!("delivery: {sent:?}");
    let reply = client
        .messaging()
        .reply_to_message(v1::ReplyToMessageRequest {
            integration_id: integration.id.clone(),
            parent_internal_message_id: sent.internal_message_id.clone(),
            message: Some(v1::Message {
                text: "Smoke tests passed".into(),
                ..Default::default()
            }),
            wait_for_delivery: true,
            ..Default::default()
        })
        .await?
        .into_inner();
    println!("reply: {:?} in thread {}", reply.state(), reply.thread_ts);

    let stats = client
        .monitoring()
        .get_dashboard_stats(v1::GetDashboardStatsRequest {
            team_id: team.clone(),
        })
        .await?
        .into_inner();
    println!("dashboard: {stats:?}");
    if sent.state() != v1::DeliveryState::Sent || reply.state() != v1::DeliveryState::Sent {
        return Err("the message and its reply were not both delivered".into());
    }
    Ok(())
}
