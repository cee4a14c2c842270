use std::process::ExitCode;

use clap::{Parser, Subcommand};
use switchboard::{config, startup::Application, store::Store, telemetry};

/// switchboard: Slack integrations and reliable notification delivery over gRPC.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve gRPC and HTTP (settings from the environment; see README).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let telemetry = telemetry::init(
        &config::log_filter(),
        config::log_format(),
        config::otlp_endpoint().as_deref(),
    );
    let outcome = match cli.command {
        Command::Serve => serve().await,
        Command::Migrate => migrate().await,
    };
    telemetry.shutdown();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("switchboard: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), String> {
    let config = config::Config::from_env().map_err(|e| e.to_string())?;
    let app = Application::build(config)
        .await
        .map_err(|e| e.to_string())?;
    app.run_until_stopped(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

async fn migrate() -> Result<(), String> {
    let database = config::DatabaseConfig::from_env().map_err(|e| e.to_string())?;
    Store::migrate(&database)
        .await
        .map_err(|e| format!("migration failed: {e}"))
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
