//! The service as real child processes: killed mid-delivery, and two or three of them on
//! one database. Every accepted message must reach Slack exactly once.

use std::{
    collections::HashSet,
    process::{Child, Command, Stdio},
    time::Duration,
};

use futures::future::join_all;
use switchboard::{config::Pace, proto::v1, store::LeaseTerms};

use crate::{helpers::*, messaging_helpers::*};

const CHANNELS: usize = 20;
const MESSAGES: usize = 2000;

/// A `switchboard serve` child process, killed when dropped.
pub struct ServiceProcess {
    child: Child,
    pub grpc_addr: String,
    ready_url: String,
}

impl ServiceProcess {
    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal}");
    }

    /// SIGTERM, then waits for the process to finish its graceful shutdown.
    pub fn terminate(self) -> std::process::ExitStatus {
        self.signal("-TERM");
        self.wait()
    }

    /// Waits for the process to exit.
    pub fn wait(mut self) -> std::process::ExitStatus {
        self.child.wait().expect("wait for switchboard")
    }

    /// Whether `/readyz` answers 200 (a stopping service closes its listeners).
    pub async fn ready(&self) -> bool {
        reqwest::get(&self.ready_url)
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    /// SIGSTOP: the process stands still, its connections open, until `resume`.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
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
        // A killed process's lanes free up after the lease; a post of unknown outcome is
        // looked up once the grace past it (or past the call's timeout) is over.
        .env("SLACK_REQUEST_TIMEOUT_MS", "2000")
        .env("SWITCHBOARD_DELIVERY_LEASE_MS", "5000")
        .env("SWITCHBOARD_DELIVERY_SETTLE_GRACE_MS", "500")
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
        ready_url: format!("http://127.0.0.1:{http_port}/readyz"),
    };
    for _ in 0..200 {
        if process.ready().await {
            return process;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("switchboard did not become ready");
}

/// `count` replicas from one set of settings, as a Deployment's pods get them: the same
/// database, keys and `extra`; only their ports differ.
pub async fn start_replicas(
    app: &TestApp,
    db_url: &str,
    count: usize,
    extra: &[(&str, &str)],
) -> Vec<ServiceProcess> {
    join_all((0..count).map(|_| start_service_with(app, db_url, extra))).await
}

/// Lease terms and pace for tests that claim lanes through the store themselves (with
/// `app_without_workers`): a lease that outlives the test, the test pace.
pub const CLAIM_TERMS: LeaseTerms = LeaseTerms {
    lease: Duration::from_secs(60),
    settle_grace: Duration::from_secs(10),
};
pub const CLAIM_PACE: Pace = Pace {
    channel_interval: TEST_PACE,
    channel_burst: 3,
    lag_margin: Duration::ZERO,
    workspace: None,
};

/// The in-process service (its own workers off) and the URL of its database, for
/// service processes to share.
pub async fn app_without_workers() -> (TestApp, String) {
    let mut db_url = String::new();
    let app = TestApp::spawn_with(|config| {
        config.delivery.enabled = false;
        db_url = secrecy::ExposeSecret::expose_secret(&config.database.url).to_owned();
    })
    .await;
    (app, db_url)
}

/// `per_channel` numbered messages accepted in each of `channels` channels (one integration
/// each, all in one workspace) by `app`; their delivery ids.
pub async fn accept_messages(app: &TestApp, channels: usize, per_channel: usize) -> Vec<String> {
    let ws = app.create_workspace("W").await;
    let mut integrations = Vec::new();
    for i in 0..channels {
        integrations.push(ready_integration(app, &format!("team-{i}"), &ws).await.0);
    }
    let ids = join_all(
        integrations
            .iter()
            .map(|integration| send_numbered(app, integration, per_channel)),
    )
    .await;
    ids.into_iter().flatten().collect()
}

/// Every accepted delivery is SENT and the simulator holds each exactly once, in order
/// per channel. With `SWITCHBOARD_STRESS_LOG` set (by `make stress`), the counts are
/// appended there first, so a loop of runs can add them up.
pub async fn assert_exactly_once(app: &TestApp, ids: &[String], channels: usize) {
    let settled = settle(app, ids).await;
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
    if let Some(log) = std::env::var_os("SWITCHBOARD_STRESS_LOG") {
        let line = format!(
            "{} messages={} posts={} duplicates={} lost={}\n",
            std::thread::current().name().unwrap_or("test"),
            ids.len(),
            delivery_ids.len(),
            delivery_ids.len() - unique.len(),
            ids.len().saturating_sub(unique.len()),
        );
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("open the stress log");
        std::io::Write::write_all(&mut file, line.as_bytes()).expect("write the stress log");
    }
    assert!(settled.iter().all(|d| d.state() == v1::DeliveryState::Sent));
    assert_eq!(unique.len(), ids.len(), "every message arrived");
    assert_eq!(delivery_ids.len(), ids.len(), "no message arrived twice");
    let by_channel: HashSet<String> = posted
        .iter()
        .map(|m| m["channel"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(by_channel.len(), channels);
    for channel in by_channel {
        let order: Vec<usize> = posted
            .iter()
            .filter(|m| m["channel"] == channel.as_str())
            .map(|m| m["text"].as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(order, (0..ids.len() / channels).collect::<Vec<_>>());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_service_killed_mid_delivery_loses_and_duplicates_nothing() {
    let (app, db_url) = app_without_workers().await;
    let ids = accept_messages(&app, CHANNELS, MESSAGES / CHANNELS).await;
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
    assert_exactly_once(&app, &ids, CHANNELS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_services_on_one_database_deliver_exactly_once_within_the_pace() {
    let (app, db_url) = app_without_workers().await;
    let ids = accept_messages(&app, CHANNELS, MESSAGES / CHANNELS).await;
    let _a = start_service(&app, &db_url).await;
    let _b = start_service(&app, &db_url).await;
    assert_exactly_once(&app, &ids, CHANNELS).await;
    assert_eq!(
        sim_rate_limited(&app).await,
        0,
        "no channel went over Slack's pace"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_from_one_configuration_deliver_exactly_once_in_order() {
    const PER_CHANNEL: usize = 30;
    let (app, db_url) = app_without_workers().await;
    let ws = app.create_workspace("W").await;
    let mut integrations = Vec::new();
    for i in 0..CHANNELS {
        integrations.push(ready_integration(&app, &format!("team-{i}"), &ws).await.0);
    }
    let keys = format!("k0:{}", base64_key());
    let settings = [
        ("SWITCHBOARD_TOKEN_ENCRYPTION_KEY", ""),
        ("SWITCHBOARD_TOKEN_ENCRYPTION_KEYS", keys.as_str()),
    ];
    let replicas = start_replicas(&app, &db_url, 3, &settings).await;
    let mut clients = Vec::new();
    for replica in &replicas {
        clients.push(
            v1::messaging_service_client::MessagingServiceClient::connect(
                replica.grpc_addr.clone(),
            )
            .await
            .unwrap(),
        );
    }

    // Each channel's messages go to the replicas in turn, each accepted before the next
    // is sent, so the order a channel must keep is the order they were accepted in.
    let sent = join_all(integrations.iter().map(|integration| {
        let mut clients = clients.clone();
        async move {
            let mut ids = Vec::new();
            for n in 0..PER_CHANNEL {
                let request = send_request(integration, &format!("m{n}"), &n.to_string(), false);
                let accepted = clients[n % 3].send_message(service(request)).await;
                ids.push(accepted.unwrap().into_inner().id);
            }
            ids
        }
    }))
    .await;
    let ids: Vec<String> = sent.into_iter().flatten().collect();

    assert_exactly_once(&app, &ids, CHANNELS).await;
    assert_eq!(sim_rate_limited(&app).await, 0, "no channel over the pace");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_in_flight_calls_and_deliveries_finish() {
    let (app, db_url) = app_without_workers().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    // Slack sits on this post until the test lets it through.
    app.inject_fault(serde_json::json!({"method": "chat.postMessage", "kind": "hold", "times": 1}))
        .await;
    let settings = [
        ("SLACK_REQUEST_TIMEOUT_MS", "20000"),
        ("SWITCHBOARD_DELIVERY_LEASE_MS", "60000"),
    ];
    let process = start_service_with(&app, &db_url, &settings).await;
    let mut client =
        v1::messaging_service_client::MessagingServiceClient::connect(process.grpc_addr.clone())
            .await
            .unwrap();
    let call = tokio::spawn(async move {
        client
            .send_message(service(send_request(&integration, "slow", "x", true)))
            .await
    });
    // Stop the service while the call and its delivery are in flight: the post has
    // reached Slack, and the service has closed its listeners.
    while app.sim_calls("chat.postMessage").await.is_empty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    process.signal("-TERM");
    while process.ready().await {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.sim_post("/_sim/faults/release", serde_json::json!({}))
        .await;
    let delivery = call
        .await
        .unwrap()
        .expect("the in-flight call is answered")
        .into_inner();
    assert_eq!(delivery.state(), v1::DeliveryState::Sent);
    let stopped = tokio::task::spawn_blocking(move || process.wait());
    assert!(stopped.await.unwrap().success(), "a clean exit");
    assert_eq!(sim_messages(&app).await.len(), 1);
}
