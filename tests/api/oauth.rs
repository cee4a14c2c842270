use serde_json::json;
use switchboard::proto::v1::{self, IntegrationCategory, IntegrationStatus};
use tonic::Code;

use crate::helpers::*;

#[tokio::test]
async fn a_whole_install_creates_an_active_integration() {
    let app = TestApp::spawn().await;
    let workspace = app.create_workspace("Acme Corp").await;

    let started = app.start_oauth("team-1").await;
    let url = url::Url::parse(&started.authorize_url).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], "sim-client-id");
    assert_eq!(
        query["scope"],
        "chat:write,channels:read,channels:join,channels:history"
    );
    assert_eq!(query["redirect_uri"], REDIRECT_URI);
    assert_eq!(query["state"], started.state);
    assert!(started.expire_time.is_some());

    let code = app.authorize(&started.authorize_url, &workspace).await;
    let integration = app.complete(&code, &started.state).await.unwrap();

    assert_eq!(integration.team_id, "team-1");
    assert_eq!(integration.name, "Acme Corp");
    assert_eq!(integration.platform_name, "slack");
    assert_eq!(integration.category(), IntegrationCategory::Messaging);
    assert!(integration.enabled);
    assert_eq!(integration.status(), IntegrationStatus::Active);
    assert_eq!(integration.status_reason, "");
    assert_eq!(integration.reconnect_count, 0);
    let ws = integration.slack_workspace.clone().unwrap();
    assert_eq!(ws.workspace_id, workspace);
    assert_eq!(ws.workspace_name, "Acme Corp");
    assert!(
        ws.bot_id.starts_with('B'),
        "bot id from auth.test: {}",
        ws.bot_id
    );
    assert!(ws.bot_user_id.starts_with('U'));
    assert_eq!(ws.scopes.len(), 4);
    assert!(integration.connect_time.is_some() && integration.create_time.is_some());

    // The stored token is the one Slack issued, and it works.
    let issued = app.sim_tokens(&workspace).await;
    assert_eq!(issued.len(), 1);
    assert_eq!(app.stored_access_token(&integration.id).await, issued[0]);
    assert_eq!(app.get(&integration.id).await.unwrap(), integration);
}

#[tokio::test]
async fn a_state_is_single_use() {
    let app = TestApp::spawn().await;
    let workspace = app.create_workspace("W").await;
    let started = app.start_oauth("team-1").await;
    let code = app.authorize(&started.authorize_url, &workspace).await;
    app.complete(&code, &started.state).await.unwrap();

    let second_code = app.authorize(&started.authorize_url, &workspace).await;
    let err = app
        .complete(&second_code, &started.state)
        .await
        .unwrap_err();
    assert_error(&err, Code::FailedPrecondition, "OAUTH_STATE_INVALID");
}

#[tokio::test]
async fn an_expired_or_unknown_state_is_refused() {
    let app = TestApp::spawn().await;
    let workspace = app.create_workspace("W").await;
    let started = app.start_oauth("team-1").await;
    sqlx::query("UPDATE oauth_states SET expire_time = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();
    let code = app.authorize(&started.authorize_url, &workspace).await;
    let err = app.complete(&code, &started.state).await.unwrap_err();
    assert_error(&err, Code::FailedPrecondition, "OAUTH_STATE_INVALID");

    let err = app.complete(&code, "made-up-state").await.unwrap_err();
    assert_error(&err, Code::FailedPrecondition, "OAUTH_STATE_INVALID");
}

#[tokio::test]
async fn another_teams_state_is_refused_and_left_for_its_owner() {
    let app = TestApp::spawn().await;
    let workspace = app.create_workspace("W").await;
    let started = app.start_oauth("team-a").await;
    let code = app.authorize(&started.authorize_url, &workspace).await;
    let complete = |team: &str| {
        as_team(
            team,
            v1::CompleteSlackOAuthRequest {
                code: code.clone(),
                state: started.state.clone(),
            },
        )
    };

    let err = app
        .client()
        .complete_slack_o_auth(complete("team-b"))
        .await
        .unwrap_err();
    assert_error(&err, Code::FailedPrecondition, "OAUTH_STATE_INVALID");

    let integration = app
        .client()
        .complete_slack_o_auth(complete("team-a"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(integration.team_id, "team-a");
}

#[tokio::test]
async fn a_team_token_cannot_start_oauth_for_another_team() {
    let app = TestApp::spawn().await;
    let err = app
        .client()
        .start_slack_o_auth(as_team(
            "team-a",
            v1::StartSlackOAuthRequest {
                team_id: "team-b".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_error(&err, Code::PermissionDenied, "PERMISSION_DENIED");
}

#[tokio::test]
async fn an_invalid_code_is_invalid_argument() {
    let app = TestApp::spawn().await;
    let started = app.start_oauth("team-1").await;
    let err = app
        .complete("not-a-code", &started.state)
        .await
        .unwrap_err();
    let details = assert_error(&err, Code::InvalidArgument, "SLACK_OAUTH_CODE_INVALID");
    assert_eq!(
        details.bad_request().unwrap().field_violations[0].field,
        "code"
    );
}

#[tokio::test]
async fn a_redirect_uri_other_than_the_configured_one_is_refused() {
    let app = TestApp::spawn().await;
    let err = app
        .client()
        .start_slack_o_auth(service(v1::StartSlackOAuthRequest {
            team_id: "team-1".into(),
            redirect_uri: "https://evil.example/cb".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert!(field_violations(&err).contains_key("redirect_uri"));

    app.client()
        .start_slack_o_auth(service(v1::StartSlackOAuthRequest {
            team_id: "team-1".into(),
            redirect_uri: REDIRECT_URI.into(),
            ..Default::default()
        }))
        .await
        .expect("the configured redirect URI is accepted");
}

#[tokio::test]
async fn slack_unreachable_is_unavailable_with_retry_info() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let app = TestApp::spawn_with(|config| {
        config.slack.api_base_url = format!("http://{closed}/api").parse().unwrap();
    })
    .await;
    let started = app.start_oauth("team-1").await;
    let err = app.complete("some-code", &started.state).await.unwrap_err();
    let details = assert_error(&err, Code::Unavailable, "SLACK_UNAVAILABLE");
    assert!(details.retry_info().is_some());
}

#[tokio::test]
async fn a_slack_outage_gives_the_state_back_for_a_retry() {
    let app = TestApp::spawn().await;
    let workspace = app.create_workspace("W").await;
    let started = app.start_oauth("team-1").await;
    let code = app.authorize(&started.authorize_url, &workspace).await;
    app.inject_fault(
        json!({"method": "oauth.v2.access", "kind": "http_status", "status": 503, "times": 1}),
    )
    .await;

    let err = app.complete(&code, &started.state).await.unwrap_err();
    let details = assert_error(&err, Code::Unavailable, "SLACK_UNAVAILABLE");
    assert!(details.retry_info().is_some());

    // Slack never saw the code, so the same code and state now succeed.
    let integration = app.complete(&code, &started.state).await.unwrap();
    assert_eq!(integration.slack_workspace.unwrap().workspace_id, workspace);
}

#[tokio::test]
async fn slack_rate_limiting_is_unavailable_with_its_retry_after() {
    let app = TestApp::spawn().await;
    let workspace = app.create_workspace("W").await;
    let started = app.start_oauth("team-1").await;
    let code = app.authorize(&started.authorize_url, &workspace).await;
    app.inject_fault(
        json!({"method": "oauth.v2.access", "kind": "rate_limited", "retry_after": 7, "times": 1}),
    )
    .await;
    let err = app.complete(&code, &started.state).await.unwrap_err();
    let details = assert_error(&err, Code::Unavailable, "SLACK_UNAVAILABLE");
    assert_eq!(
        details.retry_info().unwrap().retry_delay,
        Some(std::time::Duration::from_secs(7))
    );
}

#[tokio::test]
async fn an_enterprise_org_install_is_keyed_on_the_enterprise() {
    let app = TestApp::spawn().await;
    let enterprise = app
        .create_workspace_with(json!({
            "name": "Grid Org", "enterprise_id": "E0GRID01", "enterprise_name": "Grid Org",
            "enterprise_install": true
        }))
        .await;
    assert_eq!(enterprise, "E0GRID01");
    let integration = app.install("team-1", &enterprise).await.unwrap();
    let ws = integration.slack_workspace.unwrap();
    assert_eq!(ws.workspace_id, "E0GRID01");
    assert_eq!(ws.enterprise_id, "E0GRID01");
    assert!(ws.is_enterprise_install);
    assert_eq!(integration.name, "Grid Org");
}

#[tokio::test]
async fn rotating_tokens_keep_their_refresh_token_and_expiry() {
    let app = TestApp::spawn().await;
    let workspace = app
        .create_workspace_with(json!({"name": "Rotating", "token_rotation": true}))
        .await;
    let integration = app.install("team-1", &workspace).await.unwrap();
    let (refresh, expiry): (Option<Vec<u8>>, Option<chrono::DateTime<chrono::Utc>>) =
        sqlx::query_as(
            "SELECT refresh_token_enc, token_expire_time FROM integrations WHERE id = $1::uuid",
        )
        .bind(&integration.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(refresh.is_some_and(|r| !r.is_empty()));
    let left = expiry.unwrap() - chrono::Utc::now();
    assert!(left > chrono::Duration::hours(11) && left <= chrono::Duration::hours(12));
}
