//! Integrations set up as a product would: workspaces and channels made in the simulator,
//! then each integration installed through the OAuth flow (StartSlackOAuth, the authorize
//! redirect, CompleteSlackOAuth) and given its notification channel.

use futures::{StreamExt, stream};
use serde_json::{Value, json};
use slack_sim::RunningSim;
use switchboard::proto::v1::{
    self, channel_service_client::ChannelServiceClient,
    integration_service_client::IntegrationServiceClient,
};
use tonic::transport::Channel;

use super::authed;

/// An integration to install: the team, its Slack workspace and its notification channel.
pub struct Target {
    pub team: String,
    pub workspace: String,
    pub channel: String,
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

async fn sim_post(http: &reqwest::Client, url: String, body: Value) -> Value {
    http.post(url)
        .json(&body)
        .send()
        .await
        .expect("slack-sim control call")
        .json()
        .await
        .expect("slack-sim control answer")
}

/// `count` simulated workspaces named `<name> <n>`, each with `channels` channels the bot
/// is in; their ids and their channels' ids.
pub async fn workspaces(
    sim: &RunningSim,
    name: &str,
    count: usize,
    channels: usize,
) -> Vec<(String, Vec<String>)> {
    let http = http();
    let mut made = Vec::with_capacity(count);
    for n in 0..count {
        let workspace = sim_post(
            &http,
            format!("{}/_sim/workspaces", sim.base_url()),
            json!({"name": format!("{name} {n}")}),
        )
        .await;
        let id = workspace["id"].as_str().expect("workspace id").to_owned();
        let created = sim_post(
            &http,
            format!("{}/_sim/workspaces/{id}/channels", sim.base_url()),
            json!({"name": name.to_lowercase().replace(' ', "-"), "count": channels, "bot_member": true}),
        )
        .await;
        let ids = created
            .as_array()
            .expect("channels")
            .iter()
            .map(|c| c["id"].as_str().expect("channel id").to_owned())
            .collect();
        made.push((id, ids));
    }
    made
}

/// Installs one integration per target (16 at a time); their ids, in the targets' order.
pub async fn connect(grpc: &Channel, targets: Vec<Target>) -> Vec<String> {
    let http = http();
    stream::iter(targets)
        .map(|target| {
            let (http, grpc) = (http.clone(), grpc.clone());
            async move {
                let mut integrations = IntegrationServiceClient::new(grpc.clone());
                let started = integrations
                    .start_slack_o_auth(authed(v1::StartSlackOAuthRequest {
                        team_id: target.team,
                        ..Default::default()
                    }))
                    .await
                    .expect("StartSlackOAuth")
                    .into_inner();
                let answer = http
                    .get(format!(
                        "{}&team={}",
                        started.authorize_url, target.workspace
                    ))
                    .send()
                    .await
                    .expect("authorize");
                let location = answer.headers()["location"].to_str().expect("redirect");
                let code = url::Url::parse(location)
                    .expect("redirect URL")
                    .query_pairs()
                    .find(|(k, _)| k == "code")
                    .expect("code in the redirect")
                    .1
                    .into_owned();
                let integration = integrations
                    .complete_slack_o_auth(authed(v1::CompleteSlackOAuthRequest {
                        code,
                        state: started.state,
                    }))
                    .await
                    .expect("CompleteSlackOAuth")
                    .into_inner();
                ChannelServiceClient::new(grpc)
                    .set_notification_channel(authed(v1::SetNotificationChannelRequest {
                        integration_id: integration.id.clone(),
                        channel_id: target.channel,
                    }))
                    .await
                    .expect("SetNotificationChannel");
                integration.id
            }
        })
        .buffered(16)
        .collect()
        .await
}

/// One integration per channel of each workspace, each its own team (`<team>-<w>-<c>`).
pub fn one_team_per_channel(team: &str, workspaces: &[(String, Vec<String>)]) -> Vec<Target> {
    workspaces
        .iter()
        .enumerate()
        .flat_map(|(w, (workspace, channels))| {
            channels.iter().enumerate().map(move |(c, channel)| Target {
                team: format!("{team}-{w}-{c}"),
                workspace: workspace.clone(),
                channel: channel.clone(),
            })
        })
        .collect()
}

/// One team with an integration in each workspace, to its first channel.
pub fn one_team(team: &str, workspaces: &[(String, Vec<String>)]) -> Vec<Target> {
    workspaces
        .iter()
        .map(|(workspace, channels)| Target {
            team: team.to_owned(),
            workspace: workspace.clone(),
            channel: channels[0].clone(),
        })
        .collect()
}
