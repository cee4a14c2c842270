use std::time::Duration;

use serde_json::json;
use switchboard::proto::v1::{self, IntegrationStatus};

use crate::{helpers::*, messaging_helpers::*, processes::start_service_with};

async fn refreshes(app: &TestApp) -> u64 {
    app.sim_get("/_sim/messages").await["refreshes"]
        .as_u64()
        .unwrap()
}

async fn expire_soon(app: &TestApp, id: &str) {
    sqlx::query(
        "UPDATE integrations SET token_expire_time = now() + interval '1 hour' WHERE id = $1::uuid",
    )
    .bind(id)
    .execute(&app.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn deliveries_keep_flowing_across_an_expired_token() {
    let app = TestApp::spawn().await;
    let ws = app
        .create_workspace_with(json!({"name": "W", "token_rotation": true}))
        .await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    for n in 0..3 {
        let d = send(
            &app,
            send_request(&integration, &format!("a{n}"), "x", true),
        )
        .await
        .unwrap();
        assert_eq!(d.state(), v1::DeliveryState::Sent);
    }
    app.sim_post(&format!("/_sim/workspaces/{ws}/expire_tokens"), json!({}))
        .await;
    for n in 0..3 {
        let d = send(
            &app,
            send_request(&integration, &format!("b{n}"), "x", true),
        )
        .await
        .unwrap();
        assert_eq!(d.state(), v1::DeliveryState::Sent, "{d:?}");
        assert_eq!(d.attempts, 1, "an expired token is not a failed attempt");
    }
    assert_eq!(refreshes(&app).await, 1);
    assert_eq!(sim_messages(&app).await.len(), 6);
    let tokens = app.sim_tokens(&ws).await;
    assert_eq!(
        app.stored_access_token(&integration).await,
        *tokens.last().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_services_refresh_an_expiring_token_once() {
    let mut db_url = String::new();
    let app = TestApp::spawn_with(|config| {
        db_url = secrecy::ExposeSecret::expose_secret(&config.database.url).to_owned();
    })
    .await;
    let ws = app
        .create_workspace_with(json!({"name": "W", "token_rotation": true}))
        .await;
    let integration = app.install("team-1", &ws).await.unwrap();
    expire_soon(&app, &integration.id).await;

    let sweep = [("SWITCHBOARD_TOKEN_REFRESH_SWEEP_SECS", "1")];
    let _a = start_service_with(&app, &db_url, &sweep).await;
    let _b = start_service_with(&app, &db_url, &sweep).await;
    wait_until(async || refreshes(&app).await >= 1).await;
    // Both sweeps have run again since: still one refresh.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(refreshes(&app).await, 1);
    let after = app.get(&integration.id).await.unwrap();
    assert_eq!(after.status(), IntegrationStatus::Active);
    let left: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM token_expire_time - now())::float8 FROM integrations WHERE id = $1::uuid",
    )
    .bind(&integration.id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(left > 11.0 * 3600.0, "the new token lives 12 hours: {left}");
    let tokens = app.sim_tokens(&ws).await;
    assert_eq!(
        app.stored_access_token(&integration.id).await,
        *tokens.last().unwrap()
    );
}

#[tokio::test]
async fn a_failed_refresh_is_error_and_a_dead_refresh_token_is_revoked() {
    let app = TestApp::spawn_with(|config| {
        config.token_refresh_interval = Some(Duration::from_millis(100));
    })
    .await;
    let ws = app
        .create_workspace_with(json!({"name": "W", "token_rotation": true}))
        .await;
    let integration = app.install("team-1", &ws).await.unwrap();

    // Slack fails every refresh until the test has seen the integration in ERROR (a
    // fault for one call would let the next sweep, 100 ms later, hide it).
    app.inject_fault(json!({"method": "oauth.v2.access", "kind": "http_status", "status": 503}))
        .await;
    expire_soon(&app, &integration.id).await;
    wait_until(async || {
        app.get(&integration.id).await.unwrap().status() == IntegrationStatus::Error
    })
    .await;
    assert_eq!(
        app.get(&integration.id).await.unwrap().status_reason,
        "token_refresh_failed: http_5xx"
    );
    app.clear_faults().await;
    // The next sweep succeeds: ACTIVE again.
    wait_until(async || {
        app.get(&integration.id).await.unwrap().status() == IntegrationStatus::Active
    })
    .await;

    app.sim_post(&format!("/_sim/workspaces/{ws}/revoke"), json!({}))
        .await;
    expire_soon(&app, &integration.id).await;
    wait_until(async || {
        app.get(&integration.id).await.unwrap().status() == IntegrationStatus::Revoked
    })
    .await;
    assert_eq!(
        app.get(&integration.id).await.unwrap().status_reason,
        "invalid_refresh_token"
    );
}

#[tokio::test]
async fn a_refresh_answer_missing_fields_it_does_not_need_is_kept() {
    let app = TestApp::spawn().await;
    let ws = app
        .create_workspace_with(json!({"name": "W", "token_rotation": true}))
        .await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    // Slack spends the refresh token, then answers without the install's details.
    app.inject_fault(json!({
        "method": "oauth.v2.access", "kind": "omit_fields", "times": 1,
        "fields": ["bot_user_id", "team", "enterprise", "app_id", "scope", "token_type"],
    }))
    .await;
    app.sim_post(&format!("/_sim/workspaces/{ws}/expire_tokens"), json!({}))
        .await;

    let sent = send(&app, send_request(&integration, "a", "x", true))
        .await
        .unwrap();

    assert_eq!(sent.state(), v1::DeliveryState::Sent, "{sent:?}");
    assert_eq!(refreshes(&app).await, 1);
    let tokens = app.sim_tokens(&ws).await;
    assert_eq!(
        app.stored_access_token(&integration).await,
        *tokens.last().unwrap()
    );
    let after = app.get(&integration).await.unwrap();
    assert_eq!(after.status(), IntegrationStatus::Active);
    assert!(!after.slack_workspace.unwrap().bot_user_id.is_empty());
    // The refresh token kept is the fresh one: the next refresh works too.
    app.sim_post(&format!("/_sim/workspaces/{ws}/expire_tokens"), json!({}))
        .await;
    let sent = send(&app, send_request(&integration, "b", "x", true))
        .await
        .unwrap();
    assert_eq!(sent.state(), v1::DeliveryState::Sent, "{sent:?}");
    assert_eq!(refreshes(&app).await, 2);
}
