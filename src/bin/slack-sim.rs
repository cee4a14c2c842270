//! `slack-sim`: runs the Slack Web API simulator on its own (for the demo and benchmarks).

use std::net::SocketAddr;

use clap::Parser;
use switchboard::slack_sim::{RunningSim, SimConfig};

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
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    switchboard::telemetry::init(
        &switchboard::config::log_filter(),
        switchboard::config::log_format(),
        None,
    );
    let config = SimConfig {
        client_id: args.client_id,
        client_secret: args.client_secret,
        rate_limits: !args.no_rate_limits,
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
