//! Goal 6 (measuring side; the stored, background-refreshed listing is built apart from
//! this bench): ListChannels with a `name_query` on a workspace of 20,000 public channels,
//! once a listing exists. Until that work is merged this measures today's path.

use std::time::{Duration, Instant};

use switchboard::proto::v1::{self, channel_service_client::ChannelServiceClient};

use crate::common::{Bench, Goal, Service, authed, fleet, p50_p99, report::count};

const CHANNELS: usize = 20_000;
const QUERIES: usize = 200;

async fn list(service: &Service, integration: &str, name_query: &str) -> v1::ListChannelsResponse {
    ChannelServiceClient::new(service.grpc.clone())
        .list_channels(authed(v1::ListChannelsRequest {
            integration_id: integration.to_owned(),
            name_query: Some(name_query.to_owned()),
            ..Default::default()
        }))
        .await
        .expect("ListChannels")
        .into_inner()
}

pub async fn run(bench: &mut Bench) {
    bench.reset_sim(None, Duration::ZERO);
    let service = Service::start(&bench.db.url, &bench.sim, false).await;
    let workspace = fleet::workspaces(&bench.sim, "Directory", 1, CHANNELS).await;
    let integration = fleet::connect(&service.grpc, fleet::one_team("directory", &workspace))
        .await
        .remove(0);

    // The first listing pages through Slack. Its Tier-2 limit (20 calls a minute) is lifted
    // for it, so the bench does not wait minutes; the goal is about the calls after it.
    bench
        .sim
        .state
        .with(|inner| inner.config.rate_limits = false);
    let started = Instant::now();
    let first = list(&service, &integration, "directory-1").await;
    let cold = started.elapsed().as_secs_f64();
    bench
        .sim
        .state
        .with(|inner| inner.config.rate_limits = true);

    let mut latencies = Vec::with_capacity(QUERIES);
    for n in 0..QUERIES {
        // A different substring each time ("-0137", "-1137", ...): about two matches each.
        let query = format!("-{:04}", (n * 1_009) % 10_000);
        let started = Instant::now();
        list(&service, &integration, &query).await;
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
    }
    let (p50, p99) = p50_p99(&mut latencies);
    drop(service);

    let report = &mut bench.report;
    report.section(&format!(
        "6. channel directory: ListChannels name_query on {} channels \
         (goal-6 listing: completed after merge)",
        count(CHANNELS as i64)
    ));
    report.context(
        format!(
            "first listing, {} matches (Slack rate limits off)",
            first.total_size
        ),
        cold,
        "s",
    );
    report.context("ListChannels name_query p50", p50, "ms");
    report.figure("ListChannels name_query p99", p99, "ms", Goal::AtMost(50.0));
}
