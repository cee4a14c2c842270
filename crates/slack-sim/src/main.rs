//! `slack-sim`: runs the Slack Web API simulator on its own (for the demo and benchmarks).

use std::{net::SocketAddr, time::Duration};

use clap::Parser;
use slack_sim::{RunningSim, SimConfig};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    version,
    about = "A Slack Web API simulator for switchboard's tests and demo"
)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:8900")]
    addr: SocketAddr,
    #[arg(long, default_value = "sim-client-id")]
    client_id: String,
    #[arg(long, default_value = "sim-client-secret")]
    client_secret: String,
    /// Do not enforce Slack's per-method rate limits.
    #[arg(long)]
    no_rate_limits: bool,
    /// Refill each channel's post bucket at ticks of the simulator's own clock, shifted by
    /// this many milliseconds, instead of pacing on each request's arrival.
    #[arg(long)]
    post_clock_offset_ms: Option<u64>,
    /// Delay each request by a random 0..jitter/2 and each answer by a random 0..jitter.
    #[arg(long, default_value_t = 0)]
    latency_jitter_ms: u64,
    /// The app's signing secret (SLACK_SIGNING_SECRET of the service), to sign clicks.
    #[arg(long)]
    signing_secret: Option<String>,
    /// Where clicks are posted: the service's `/slack/interactions`.
    #[arg(long)]
    interactivity_url: Option<String>,
    /// Log filter (`RUST_LOG` syntax).
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    log: String,
    /// `json` for JSON log lines, anything else for human ones (as the service).
    #[arg(long, env = "SWITCHBOARD_LOG_FORMAT", default_value = "human")]
    log_format: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    init_logs(&args.log, args.log_format == "json");
    let config = SimConfig {
        client_id: args.client_id,
        client_secret: args.client_secret,
        rate_limits: !args.no_rate_limits,
        post_clock_offset: args.post_clock_offset_ms.map(Duration::from_millis),
        latency_jitter: Duration::from_millis(args.latency_jitter_ms),
        signing_secret: args.signing_secret,
        interactivity_url: args.interactivity_url,
        ..SimConfig::default()
    };
    let sim = match RunningSim::start(args.addr, config).await {
        Ok(sim) => sim,
        Err(err) => {
            eprintln!("slack-sim: cannot bind {}: {err}", args.addr);
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("slack-sim listening on {}", sim.base_url());
    let _ = tokio::signal::ctrl_c().await;
    std::process::ExitCode::SUCCESS
}

/// The simulator logs to stderr only; it exports no traces (it stands in for Slack).
fn init_logs(filter: &str, json: bool) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        logs.json().flatten_event(true).init();
    } else {
        logs.with_target(false).init();
    }
}
