//! The internet-facing HTTP port: slow or oversized clients are cut off, connections are
//! capped, and probes and metrics can move to an admin listener.

use std::{net::SocketAddr, time::Duration};

use switchboard::config::HttpLimits;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::*;

/// Far longer than any answer takes; only a hang reaches it.
const HANG: Duration = Duration::from_secs(60);

/// Sends `raw` on a fresh connection and returns all the server sent before closing.
async fn exchange(stream: &mut TcpStream, raw: &[u8]) -> String {
    stream.write_all(raw).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(HANG, stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .ok();
    String::from_utf8_lossy(&answer).into_owned()
}

async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.unwrap()
}

#[tokio::test]
async fn a_declared_oversize_body_is_refused_before_it_is_sent() {
    let app = TestApp::spawn().await;
    let mut stream = connect(app.http_addr).await;
    let answer = exchange(
        &mut stream,
        b"POST /slack/events HTTP/1.1\r\nhost: x\r\ncontent-length: 10737418240\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test]
async fn slow_and_idle_clients_are_cut_off() {
    let app = TestApp::spawn_with(|config| {
        config.http.limits.timeout = Duration::from_millis(300);
    })
    .await;
    // Headers that never end, and a connection that never speaks: closed.
    let mut half_headers = connect(app.http_addr).await;
    exchange(
        &mut half_headers,
        b"POST /slack/events HTTP/1.1\r\nhost: x\r\n",
    )
    .await;
    let mut silent = connect(app.http_addr).await;
    exchange(&mut silent, b"").await;
    // A body that never arrives: 408, then closed.
    let mut half_body = connect(app.http_addr).await;
    let answer = exchange(
        &mut half_body,
        b"POST /slack/events HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{\"type\"",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // The port still serves.
    assert_eq!(app.http_get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn connections_past_the_cap_are_answered_503() {
    let app = TestApp::spawn_with(|config| {
        config.http.limits = HttpLimits {
            max_connections: 2,
            timeout: HANG,
        };
    })
    .await;
    let held = [connect(app.http_addr).await, connect(app.http_addr).await];
    let mut third = connect(app.http_addr).await;
    let answer = exchange(&mut third, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");

    // Once a held connection closes, its place is free again.
    drop(held);
    let served = tokio::time::timeout(HANG, async {
        loop {
            let mut next = connect(app.http_addr).await;
            let answer = exchange(
                &mut next,
                b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
            )
            .await;
            if answer.starts_with("HTTP/1.1 200") {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(served.is_ok(), "no place freed up");
}

#[tokio::test]
async fn an_admin_listener_takes_probes_and_metrics_off_the_public_port() {
    let app = TestApp::spawn_with(|config| {
        config.http.admin_addr = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let admin = app.admin_addr.expect("admin listener bound");
    for path in ["/metrics", "/healthz", "/readyz"] {
        assert_eq!(
            app.http_get(path).await.status(),
            404,
            "{path} on the public port"
        );
        let on_admin = app
            .http_client()
            .get(format!("http://{admin}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(on_admin.status(), 200, "{path} on the admin port");
    }
    let events = app
        .http_client()
        .post(format!("http://{admin}/slack/events"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        events.status(),
        404,
        "Slack's endpoint stays on the public port"
    );
    assert_eq!(
        app.post_event(&serde_json::json!({"type": "url_verification", "challenge": "c"}))
            .await
            .status(),
        200
    );
}
