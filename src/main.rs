use std::process::ExitCode;

use clap::{Parser, Subcommand};
use switchboard::{
    config::{Config, DatabaseConfig, TelemetryConfig, TokenKeys},
    startup::{self, Application},
    store::Store,
    telemetry,
};

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
    /// Print the configuration reference (every setting, its default and meaning) as
    /// Markdown; `scripts/deploy.sh docs` puts it in docs/operations.md.
    ConfigReference,
    /// Re-seal every stored token and secret with the first key of
    /// SWITCHBOARD_TOKEN_ENCRYPTION_KEYS, while the service runs (docs/operations.md,
    /// "Rotating the token encryption key"). Fails if a value opens with no listed key.
    RotateKeys {
        /// Rows per transaction.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        batch_size: i64,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Serve => serve().await,
        Command::Migrate => migrate().await,
        Command::RotateKeys { batch_size } => rotate_keys(batch_size).await,
        Command::ConfigReference => {
            print!("{}", switchboard::config::settings::reference_markdown());
            Ok(())
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("switchboard: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Logging and traces as `settings` say, flushed when `work` is done.
async fn with_telemetry<F: Future<Output = Result<(), String>>>(
    settings: &TelemetryConfig,
    work: F,
) -> Result<(), String> {
    let telemetry = telemetry::init(
        &settings.log_filter,
        settings.log_format,
        settings.otlp_endpoint.as_deref(),
    );
    let outcome = work.await;
    telemetry.shutdown();
    outcome
}

async fn serve() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    with_telemetry(&config.telemetry.clone(), async {
        let app = Application::build(config)
            .await
            .map_err(|e| e.to_string())?;
        app.run_until_stopped(shutdown_signal())
            .await
            .map_err(|e| e.to_string())
    })
    .await
}

async fn migrate() -> Result<(), String> {
    let telemetry = TelemetryConfig::from_env().map_err(|e| e.to_string())?;
    let database = DatabaseConfig::from_env().map_err(|e| e.to_string())?;
    with_telemetry(&telemetry, async {
        Store::migrate(&database)
            .await
            .map_err(|e| format!("migration failed: {e}"))
    })
    .await
}

async fn rotate_keys(batch_size: i64) -> Result<(), String> {
    let telemetry = TelemetryConfig::from_env().map_err(|e| e.to_string())?;
    let database = DatabaseConfig::from_env().map_err(|e| e.to_string())?;
    let keys = TokenKeys::from_env().map_err(|e| e.to_string())?;
    with_telemetry(&telemetry, async {
        let first = keys.keys[0].0.clone();
        println!("rotating to key {first:?}");
        let report = startup::rotate_keys(&database, &keys, batch_size, |kind, so_far| {
            println!(
                "{}: examined {} re-sealed {} so far",
                kind.name(),
                so_far.examined,
                so_far.resealed
            );
        })
        .await?;
        println!(
            "done: examined {} re-sealed {} changed-underneath {} undecryptable {}",
            report.examined,
            report.resealed,
            report.changed_underneath,
            report.undecryptable.len()
        );
        for row in &report.undecryptable {
            eprintln!("undecryptable with every configured key: {row}");
        }
        match report.complete() {
            true => Ok(()),
            false if report.undecryptable.is_empty() => {
                Err("rows kept changing underneath; run rotate-keys again".into())
            }
            false => Err(format!(
                "{} rows open with no configured key (listed above); keep the key that sealed them",
                report.undecryptable.len()
            )),
        }
    })
    .await
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
