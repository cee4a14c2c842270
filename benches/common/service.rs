//! The service as a child process (the release binary), as in production: its CPU time and
//! memory are its own, apart from the bench's, the simulator's and Postgres'.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use slack_sim::RunningSim;
use tonic::transport::Channel;

use super::{API_KEY, procfs};

const KEY_B64: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
pub const REDIRECT: &str = "https://bench.example/slack/callback";
/// The service's database pool, and the raw inserts' pool it is compared with.
pub const POOL_SIZE: u32 = 20;

pub struct Service {
    child: Child,
    pub grpc: Channel,
    /// CPU seconds the process had used when it was ready (start-up excluded from figures).
    ready_cpu: f64,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port()
}

impl Service {
    /// Starts `switchboard serve` against `db_url` and `sim`, with the delivery workers on
    /// or off, and waits until it is ready.
    pub async fn start(db_url: &str, sim: &RunningSim, workers: bool) -> Self {
        let (grpc_port, http_port) = (free_port(), free_port());
        let child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .arg("serve")
            .env("DATABASE_URL", db_url)
            .env("SWITCHBOARD_GRPC_ADDR", format!("127.0.0.1:{grpc_port}"))
            .env("SWITCHBOARD_HTTP_ADDR", format!("127.0.0.1:{http_port}"))
            .env("SWITCHBOARD_API_KEYS", API_KEY)
            .env("SWITCHBOARD_TOKEN_ENCRYPTION_KEY", KEY_B64)
            .env("SWITCHBOARD_DB_MAX_CONNECTIONS", POOL_SIZE.to_string())
            .env("SWITCHBOARD_DELIVERY_WORKERS", workers.to_string())
            .env("SLACK_CLIENT_ID", "sim-client-id")
            .env("SLACK_CLIENT_SECRET", "sim-client-secret")
            .env("SLACK_REDIRECT_URI", REDIRECT)
            .env("SLACK_API_BASE_URL", sim.api_url())
            .env("SLACK_AUTHORIZE_URL", sim.authorize_url())
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .spawn()
            .expect("start switchboard");
        // Owned at once, so that a failed start below still reaps it.
        let mut service = Self {
            child,
            grpc: Channel::from_static("http://127.0.0.1:1").connect_lazy(),
            ready_cpu: 0.0,
        };
        let ready = format!("http://127.0.0.1:{http_port}/readyz");
        for _ in 0..400 {
            if reqwest::get(&ready)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                service.grpc = Channel::from_shared(format!("http://127.0.0.1:{grpc_port}"))
                    .expect("gRPC URL")
                    .connect()
                    .await
                    .expect("gRPC connect");
                service.ready_cpu = service.cpu_seconds();
                return service;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("switchboard did not become ready");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn peak_rss_mib(&self) -> f64 {
        procfs::peak_rss_mib(self.pid())
    }

    /// CPU seconds used so far, start-up included.
    pub fn cpu_seconds(&self) -> f64 {
        procfs::cpu_seconds(self.pid()).unwrap_or(f64::NAN)
    }

    /// CPU seconds used since it was ready.
    pub fn cpu_since_ready(&self) -> f64 {
        self.cpu_seconds() - self.ready_cpu
    }
}
