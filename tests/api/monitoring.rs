use std::time::Duration;

use serde_json::json;
use switchboard::proto::v1::{
    self, IntegrationStatus, monitoring_service_client::MonitoringServiceClient,
};
use tonic::{Code, transport::Channel};

use crate::{helpers::*, messaging_helpers::*};

fn monitoring(app: &TestApp) -> MonitoringServiceClient<Channel> {
    MonitoringServiceClient::new(app.channel.clone())
}

async fn check(app: &TestApp, id: &str) -> v1::IntegrationHealth {
    monitoring(app)
        .check_integration_health(service(v1::CheckIntegrationHealthRequest {
            integration_id: id.into(),
        }))
        .await
        .unwrap()
        .into_inner()
}

fn ts(offset_secs: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp() + offset_secs,
        nanos: 0,
    })
}

#[tokio::test]
async fn health_checks_move_an_integration_between_error_active_and_revoked() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();

    app.inject_fault(
        json!({"method": "auth.test", "kind": "http_status", "status": 503, "times": 1}),
    )
    .await;
    let failing = check(&app, &integration.id).await;
    assert!(!failing.healthy);
    assert_eq!(failing.error, "http_5xx");
    assert_eq!(failing.workspace_name, "W");
    let now = app.get(&integration.id).await.unwrap();
    assert_eq!(now.status(), IntegrationStatus::Error);
    assert_eq!(now.status_reason, "http_5xx");
    assert!(now.last_health_check_time.is_some());

    let recovered = check(&app, &integration.id).await;
    assert!(recovered.healthy && recovered.error.is_empty());
    assert!(recovered.latency.is_some());
    assert_eq!(
        app.get(&integration.id).await.unwrap().status(),
        IntegrationStatus::Active
    );

    app.sim_post(&format!("/_sim/workspaces/{ws}/revoke"), json!({}))
        .await;
    let revoked = check(&app, &integration.id).await;
    assert_eq!(revoked.error, "token_revoked");
    let now = app.get(&integration.id).await.unwrap();
    assert_eq!(now.status(), IntegrationStatus::Revoked);
    assert_eq!(now.status_reason, "token_revoked");
}

#[tokio::test]
async fn checking_200_integrations_stays_within_slacks_limits() {
    let app = TestApp::spawn().await;
    for w in 0..10 {
        let ws = app.create_workspace(&format!("W{w}")).await;
        for t in 0..20 {
            app.install(&format!("team-{t}"), &ws).await.unwrap();
        }
    }
    let all = monitoring(&app)
        .check_all_integrations(service(v1::CheckAllIntegrationsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((all.total, all.healthy, all.unhealthy), (200, 200, 0));
    assert_eq!(all.details.len(), 200);
    assert_eq!(app.sim_get("/_sim/messages").await["rate_limited_calls"], 0);

    let one_team = monitoring(&app)
        .check_all_integrations(as_team(
            "team-3",
            v1::CheckAllIntegrationsRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(one_team.total, 10);
    assert!(one_team.details.iter().all(|d| d.team_id == "team-3"));
}

#[tokio::test]
async fn statistics_count_a_known_mix_exactly() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let start = ts(-5);
    let typed = |id: &str, kind: &str| v1::SendMessageRequest {
        message_type: kind.into(),
        ..send_request(&integration, id, id, true)
    };
    // Sent at once.
    let one = send(&app, typed("one", "deploy")).await.unwrap();
    // A 503, then sent.
    app.inject_fault(
        json!({"method": "chat.postMessage", "kind": "http_status", "status": 503, "times": 1}),
    )
    .await;
    send(&app, typed("two", "deploy")).await.unwrap();
    // Refused for good.
    app.inject_fault(
        json!({"method": "chat.postMessage", "kind": "error", "error": "msg_too_long", "times": 1}),
    )
    .await;
    let three = send(&app, typed("three", "alert")).await.unwrap();
    assert_eq!(three.state(), v1::DeliveryState::Failed);
    // A 429, then sent.
    app.inject_fault(
        json!({"method": "chat.postMessage", "kind": "rate_limited", "retry_after": 1, "times": 1}),
    )
    .await;
    let four = messaging(&app)
        .send_message(tonic::Request::new(send_request(
            &integration,
            "four",
            "four",
            true,
        )))
        .await;
    assert!(four.is_err(), "unauthenticated calls are refused");
    let mut request = service(send_request(&integration, "four", "four", true));
    request.set_timeout(Duration::from_secs(10));
    let four = messaging(&app)
        .send_message(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(four.state(), v1::DeliveryState::Sent);
    reply(&app, &integration, "one", "one-reply", "re", true).await;
    app.install("team-1", &ws).await.unwrap_err();

    let stats = monitoring(&app)
        .get_messaging_stats(service(v1::GetMessagingStatsRequest {
            start_time: start,
            end_time: ts(5),
            team_id: "team-1".into(),
            integration_id: integration.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    // one: 1, two: 2, three: 1, four: 2, the reply: 1.
    assert_eq!(stats.total_attempts, 7);
    assert_eq!(stats.successful, 4);
    assert_eq!(stats.failed, 3);
    assert_eq!(stats.retried_deliveries, 2);
    assert!(
        (stats.retry_rate - 2.0 / 5.0).abs() < 1e-9,
        "{}",
        stats.retry_rate
    );
    let errors: Vec<(String, i64)> = stats
        .common_errors
        .iter()
        .map(|e| (e.error.clone(), e.count))
        .collect();
    assert_eq!(
        errors,
        [
            ("http_5xx".to_owned(), 1),
            ("msg_too_long".to_owned(), 1),
            ("ratelimited".to_owned(), 1)
        ]
    );
    let nanos = |d: Option<prost_types::Duration>| {
        let d = d.expect("latency given");
        d.seconds as i128 * 1_000_000_000 + i128::from(d.nanos)
    };
    assert!(nanos(stats.p95_latency) >= nanos(stats.p50_latency));

    let empty = monitoring(&app)
        .get_messaging_stats(service(v1::GetMessagingStatsRequest {
            start_time: ts(60),
            end_time: ts(120),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((empty.total_attempts, empty.retry_rate), (0, 0.0));

    let breakdown = monitoring(&app)
        .get_message_type_breakdown(service(v1::GetMessageTypeBreakdownRequest {
            start_time: start,
            end_time: ts(5),
            team_id: "team-1".into(),
        }))
        .await
        .unwrap()
        .into_inner()
        .entries;
    let breakdown: Vec<(String, i64)> = breakdown
        .into_iter()
        .map(|e| (e.message_type, e.count))
        .collect();
    assert_eq!(
        breakdown,
        [
            ("deploy".to_owned(), 2),
            ("unspecified".to_owned(), 2),
            ("alert".to_owned(), 1)
        ]
    );

    let dashboard = monitoring(&app)
        .get_dashboard_stats(as_team("team-1", v1::GetDashboardStatsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(dashboard.total_integrations, 1);
    assert_eq!(dashboard.active_integrations, 1);
    assert_eq!(dashboard.configured_channels, 1);
    assert_eq!(dashboard.healthy_integrations, 1);
    // one, two and four, and the reply (replies count as messages).
    assert_eq!(dashboard.messages_last_24h, 4);
    assert_eq!(dashboard.replies_last_24h, 1);
    assert_eq!(dashboard.threads_last_24h, 1);
    assert_eq!(dashboard.duplicate_connection_attempts_last_24h, 1);
    assert_eq!(dashboard.queued_deliveries, 0);
    assert_eq!(one.state(), v1::DeliveryState::Sent);

    let err = monitoring(&app)
        .get_dashboard_stats(as_team(
            "team-1",
            v1::GetDashboardStatsRequest {
                team_id: "team-2".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_error(&err, Code::PermissionDenied, "PERMISSION_DENIED");
    let err = monitoring(&app)
        .get_messaging_stats(service(v1::GetMessagingStatsRequest {
            start_time: ts(10),
            end_time: ts(0),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert!(field_violations(&err).contains_key("end_time"));
}
