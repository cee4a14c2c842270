//! The service as real child processes: killed mid-delivery, and two of them on one
//! database. Every accepted message must reach Slack exactly once.

use std::{
    collections::HashSet,
    process::{Child, Command, Stdio},
    time::Duration,
};

use futures::future::join_all;
use switchboard::proto::v1;

use crate::{helpers::*, messaging_helpers::*};

const CHANNELS: usize = 20;
const MESSAGES: usize = 2000;

/// A `switchboard serve` child process, killed when dropped.
pub struct ServiceProcess {
    child: Child,
    pub grpc_addr: String,
}

impl ServiceProcess {
    /// SIGTERM, then waits for the process to finish its graceful shutdown.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        self.child.wait().expect("wait for switchboard")
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the real binary against `db_url` and the test's simulator, delivery workers on.
pub async fn start_service(app: &TestApp, db_url: &str) -> ServiceProcess {
    start_service_with(app, db_url, &[]).await
}

/// The same, with extra settings.
pub async fn start_service_with(
    app: &TestApp,
    db_url: &str,
    extra: &[(&str, &str)],
) -> ServiceProcess {
    let (http_port, grpc_port) = (free_port(), free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db_url)
        .env("SWITCHBOARD_GRPC_ADDR", format!("127.0.0.1:{grpc_port}"))
        .env("SWITCHBOARD_HTTP_ADDR", format!("127.0.0.1:{http_port}"))
        .env("SWITCHBOARD_API_KEYS", API_KEY)
        .env("SWITCHBOARD_TOKEN_ENCRYPTION_KEY", base64_key())
        .env("SLACK_CLIENT_ID", "sim-client-id")
        .env("SLACK_CLIENT_SECRET", "sim-client-secret")
        .env("SLACK_REDIRECT_URI", REDIRECT_URI)
        .env("SLACK_API_BASE_URL", app.sim.api_url())
        .env("SLACK_AUTHORIZE_URL", app.sim.authorize_url())
        .env(
            "SWITCHBOARD_CHANNEL_PACE_MS",
            TEST_PACE.as_millis().to_string(),
        )
        .env("SWITCHBOARD_DELIVERY_RETRY_BASE_MS", "50")
        // A killed process's lanes free up after this.
        .env("SWITCHBOARD_DELIVERY_LEASE_MS", "2000")
        .env(
            "RUST_LOG",
            if std::env::var_os("TEST_LOG").is_some() {
                "info"
            } else {
                "error"
            },
        )
        .envs(extra.iter().copied())
        .stdin(Stdio::null())
        .spawn()
        .expect("start switchboard");
    let process = ServiceProcess {
        child,
        grpc_addr: format!("http://127.0.0.1:{grpc_port}"),
    };
    let ready = format!("http://127.0.0.1:{http_port}/readyz");
    for _ in 0..200 {
        if reqwest::get(&ready)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return process;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("switchboard did not become ready");
}

/// 2,000 messages accepted over 20 channels by the in-process service (its own workers off).
async fn accept_messages() -> (TestApp, String, Vec<String>) {
    let mut db_url = String::new();
    let app = TestApp::spawn_with(|config| {
        config.delivery.enabled = false;
        db_url = secrecy::ExposeSecret::expose_secret(&config.database.url).to_owned();
    })
    .await;
    let ws = app.create_workspace("W").await;
    let mut integrations = Vec::new();
    for i in 0..CHANNELS {
        integrations.push(ready_integration(&app, &format!("team-{i}"), &ws).await.0);
    }
    let per_channel = MESSAGES / CHANNELS;
    let ids = join_all(integrations.iter().map(|integration| {
        let app = &app;
        async move {
            let mut ids = Vec::with_capacity(per_channel);
            for n in 0..per_channel {
                let d = send(
                    app,
                    send_request(integration, &format!("m-{n}"), &format!("{n}"), false),
                )
                .await
                .unwrap();
                assert_eq!(d.state(), v1::DeliveryState::Queued);
                ids.push(d.id);
            }
            ids
        }
    }))
    .await;
    (app, db_url, ids.into_iter().flatten().collect())
}

/// Every accepted delivery is SENT and the simulator holds each exactly once, in order
/// per channel.
async fn assert_exactly_once(app: &TestApp, ids: &[String]) {
    let settled = settle(app, ids).await;
    assert!(settled.iter().all(|d| d.state() == v1::DeliveryState::Sent));
    let posted = sim_messages(app).await;
    let delivery_ids: Vec<&str> = posted
        .iter()
        .map(|m| {
            m["metadata"]["event_payload"]["delivery_id"]
                .as_str()
                .unwrap()
        })
        .collect();
    let unique: HashSet<&str> = delivery_ids.iter().copied().collect();
    assert_eq!(unique.len(), MESSAGES, "every message arrived");
    assert_eq!(delivery_ids.len(), MESSAGES, "no message arrived twice");
    let channels: HashSet<String> = posted
        .iter()
        .map(|m| m["channel"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(channels.len(), CHANNELS);
    for channel in channels {
        let order: Vec<usize> = posted
            .iter()
            .filter(|m| m["channel"] == channel.as_str())
            .map(|m| m["text"].as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(order, (0..MESSAGES / CHANNELS).collect::<Vec<_>>());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_service_killed_mid_delivery_loses_and_duplicates_nothing() {
    let (app, db_url, ids) = accept_messages().await;
    let first = start_service(&app, &db_url).await;
    // Let it deliver part of the backlog, then kill it without warning.
    for _ in 0..400 {
        if sim_messages(&app).await.len() >= MESSAGES / 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    drop(first);
    let delivered_before_restart = sim_messages(&app).await.len();
    assert!(
        delivered_before_restart < MESSAGES,
        "the kill came mid-delivery"
    );

    let _second = start_service(&app, &db_url).await;
    assert_exactly_once(&app, &ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_services_on_one_database_deliver_exactly_once_within_the_pace() {
    let (app, db_url, ids) = accept_messages().await;
    let _a = start_service(&app, &db_url).await;
    let _b = start_service(&app, &db_url).await;
    assert_exactly_once(&app, &ids).await;
    assert_eq!(
        sim_rate_limited(&app).await,
        0,
        "no channel went over Slack's pace"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_in_flight_calls_and_deliveries_finish() {
    let mut db_url = String::new();
    let app = TestApp::spawn_with(|config| {
        config.delivery.enabled = false;
        db_url = secrecy::ExposeSecret::expose_secret(&config.database.url).to_owned();
    })
    .await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    // Slack takes a while to answer this post.
    app.inject_fault(serde_json::json!({"method": "chat.postMessage", "kind": "delay", "delay_ms": 1500, "times": 1}))
        .await;
    let process = start_service(&app, &db_url).await;
    let mut client =
        v1::messaging_service_client::MessagingServiceClient::connect(process.grpc_addr.clone())
            .await
            .unwrap();
    let call = tokio::spawn(async move {
        client
            .send_message(service(send_request(&integration, "slow", "x", true)))
            .await
    });
    // Stop the service while the call and its delivery are in flight.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stopped = tokio::task::spawn_blocking(move || process.terminate());
    let delivery = call
        .await
        .unwrap()
        .expect("the in-flight call is answered")
        .into_inner();
    assert_eq!(delivery.state(), v1::DeliveryState::Sent);
    assert!(stopped.await.unwrap().success(), "a clean exit");
    assert_eq!(sim_messages(&app).await.len(), 1);
}
