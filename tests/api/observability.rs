use serde_json::json;
use switchboard::proto::v1::{self, monitoring_service_client::MonitoringServiceClient};

use crate::{
    helpers::*,
    messaging_helpers::*,
    webhooks::{hooks, new_subscription},
};

/// The value of one sample line of the Prometheus text format (0 when absent).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .find(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

async fn scrape(app: &TestApp) -> String {
    let response = app.http_get("/metrics").await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn metrics_move_after_a_send() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let send_ok = [
        ("method", "/switchboard.v1.MessagingService/SendMessage"),
        ("code", "Ok"),
    ];
    let before = scrape(&app).await;

    send(&app, send_request(&integration, "m", "hello", true))
        .await
        .unwrap();
    app.install("team-1", &ws).await.unwrap_err();

    let after = scrape(&app).await;
    for (name, labels) in [
        ("switchboard_rpc_requests_total", &send_ok[..]),
        ("switchboard_rpc_duration_seconds_count", &send_ok[..1]),
        ("switchboard_deliveries_total", &[("state", "queued")][..]),
        ("switchboard_deliveries_total", &[("state", "sent")][..]),
        (
            "switchboard_delivery_attempts_total",
            &[("outcome", "sent")][..],
        ),
        ("switchboard_duplicate_connection_attempts_total", &[][..]),
    ] {
        assert!(
            sample(&after, name, labels) > sample(&before, name, labels),
            "{name} {labels:?} did not move"
        );
    }
    let refused = [
        (
            "method",
            "/switchboard.v1.IntegrationService/CompleteSlackOAuth",
        ),
        ("code", "AlreadyExists"),
    ];
    assert!(sample(&after, "switchboard_rpc_requests_total", &refused) >= 1.0);
    assert!(after.contains("switchboard_queue_depth"));
}

#[tokio::test]
async fn unknown_methods_share_one_label() {
    let app = TestApp::spawn().await;
    let mut grpc = tonic::client::Grpc::new(app.channel.clone());
    for i in 0..20 {
        for path in [
            format!("/switchboard.v1.MessagingService/Nope{i}"),
            format!("/made.up.Service{i}/Method"),
        ] {
            grpc.ready().await.unwrap();
            let err = grpc
                .unary(
                    service(()),
                    http::uri::PathAndQuery::try_from(path).unwrap(),
                    tonic_prost::ProstCodec::<(), ()>::default(),
                )
                .await
                .unwrap_err();
            assert_eq!(err.code(), tonic::Code::Unimplemented);
        }
    }
    let text = scrape(&app).await;
    assert!(
        !text.contains("Nope") && !text.contains("made.up"),
        "{text}"
    );
    let unknown = [("method", "unknown"), ("code", "Unimplemented")];
    assert_eq!(
        sample(&text, "switchboard_rpc_requests_total", &unknown),
        40.0
    );
}

/// The figures the alert rules watch (deploy/prometheus/alerts.yaml), read from Postgres at
/// each scrape: integrations by status and subscriptions by state, zeros included, and how
/// long the most overdue delivery has waited.
#[tokio::test]
async fn scrapes_count_statuses_states_and_the_queue_lag() {
    // No delivery workers: the message stays queued, due and waiting.
    let app = TestApp::spawn_with(|config| config.delivery.enabled = false).await;
    let (ws, gone) = (
        app.create_workspace("W").await,
        app.create_workspace("Gone").await,
    );
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let revoked = app.install("team-1", &gone).await.unwrap();
    app.sim_post(&format!("/_sim/workspaces/{gone}/revoke"), json!({}))
        .await;
    MonitoringServiceClient::new(app.channel.clone())
        .check_integration_health(service(v1::CheckIntegrationHealthRequest {
            integration_id: revoked.id.clone(),
        }))
        .await
        .unwrap();
    let subscription = hooks(&app.channel)
        .create_webhook_subscription(service(new_subscription(
            "team-1",
            "https://hooks.example.com/switchboard",
            &[],
        )))
        .await
        .unwrap()
        .into_inner();
    sqlx::query("UPDATE webhook_subscriptions SET state = 'disabled' WHERE id::text = $1")
        .bind(&subscription.id)
        .execute(&app.db)
        .await
        .unwrap();
    send(&app, send_request(&integration, "m", "hello", false))
        .await
        .unwrap();

    let text = scrape(&app).await;

    for (name, labels, expected) in [
        ("switchboard_integrations", ("status", "active"), 1.0),
        ("switchboard_integrations", ("status", "revoked"), 1.0),
        ("switchboard_integrations", ("status", "error"), 0.0),
        ("switchboard_integrations", ("status", "inactive"), 0.0),
        (
            "switchboard_webhook_subscriptions",
            ("state", "disabled"),
            1.0,
        ),
        (
            "switchboard_webhook_subscriptions",
            ("state", "active"),
            0.0,
        ),
    ] {
        let line = format!("{name}{{{}=\"{}\"}} {expected}", labels.0, labels.1);
        assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
    }
    assert!(sample(&text, "switchboard_queue_oldest_due_seconds", &[]) > 0.0);
}
