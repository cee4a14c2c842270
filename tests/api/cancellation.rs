//! Tokens Slack issued are never left neither kept nor revoked: not when the caller of
//! CompleteSlackOAuth hangs up mid-exchange, not when an install cannot be stored, not
//! when a reconnect token expires unused.

use std::time::Duration;

use serde_json::{Value, json};
use switchboard::proto::v1::{self, IntegrationStatus};
use tonic::Code;

use crate::helpers::*;

async fn oauth_states(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM oauth_states")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn sim_token_list(app: &TestApp, workspace: &str) -> Vec<Value> {
    app.sim_get(&format!("/_sim/workspaces/{workspace}/tokens"))
        .await
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_caller_hanging_up_mid_exchange_still_gets_its_integration_stored() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (code, state) = app.authorized("team-1", &ws).await;
    // Slack takes longer to exchange the code than the caller is willing to wait.
    app.inject_fault(
        json!({"method": "oauth.v2.access", "kind": "delay", "delay_ms": 1500, "times": 1}),
    )
    .await;
    let mut request = service(v1::CompleteSlackOAuthRequest { code, state });
    request.set_timeout(Duration::from_millis(300));

    let err = app
        .client()
        .complete_slack_o_auth(request)
        .await
        .unwrap_err();

    assert!(
        matches!(err.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{err:?}"
    );
    let list = || async {
        app.client()
            .list_integrations(service(v1::ListIntegrationsRequest {
                team_id: "team-1".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner()
            .integrations
    };
    wait_until(async || !list().await.is_empty()).await;
    let stored = list().await;
    assert_eq!(stored[0].status(), IntegrationStatus::Active);
    assert_eq!(
        app.stored_access_token(&stored[0].id).await,
        app.sim_tokens(&ws).await[0]
    );
    assert_eq!(
        oauth_states(&app).await,
        0,
        "the spent state is not left claimed"
    );
}

#[tokio::test]
async fn a_token_that_cannot_be_kept_is_revoked() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (code, state) = app.authorized("team-1", &ws).await;
    // The exchange works; what follows it cannot finish.
    app.inject_fault(json!({"method": "auth.test", "kind": "error", "error": "not_allowed_token_type", "times": 1}))
        .await;

    let err = app.complete(&code, &state).await.unwrap_err();

    assert_error(&err, Code::FailedPrecondition, "SLACK_API_ERROR");
    let tokens = sim_token_list(&app, &ws).await;
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["revoked"], true, "{tokens:?}");
    assert_eq!(oauth_states(&app).await, 0);
}

#[tokio::test]
async fn tokens_of_a_reconnect_token_that_expired_unused_are_revoked() {
    let app = TestApp::spawn_with(|config| {
        config.token_refresh_interval = Some(Duration::from_millis(100));
    })
    .await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    app.install("team-1", &ws).await.unwrap_err();
    sqlx::query("UPDATE reconnect_tokens SET expire_time = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();

    wait_until(async || sim_token_list(&app, &ws).await[1]["revoked"] == true).await;

    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM reconnect_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let tokens = sim_token_list(&app, &ws).await;
    assert_eq!(
        tokens[0]["revoked"], false,
        "the integration's own token lives"
    );
    assert_eq!(
        app.get(&integration.id).await.unwrap().status(),
        IntegrationStatus::Active
    );
}
