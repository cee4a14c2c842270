use crate::{helpers::*, messaging_helpers::*};

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
