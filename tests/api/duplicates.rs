use switchboard::proto::v1::{self, IntegrationStatus};
use tonic::Code;

use crate::helpers::*;

async fn reconnect(app: &TestApp, id: &str, token: &str) -> Result<v1::Integration, tonic::Status> {
    app.client()
        .reconnect_integration(service(v1::ReconnectIntegrationRequest {
            integration_id: id.into(),
            reconnect_token: token.into(),
            request_id: None,
        }))
        .await
        .map(|r| r.into_inner())
}

async fn audit_actions(app: &TestApp, id: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT action FROM integration_audit WHERE integration_id = $1::uuid ORDER BY id",
    )
    .bind(id)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_second_install_answers_already_exists_and_its_tokens_reconnect() {
    let app = TestApp::spawn().await;
    let workspace = app.create_workspace("Acme").await;
    let first = app.install("team-1", &workspace).await.unwrap();

    let err = app.install("team-1", &workspace).await.unwrap_err();
    let details = assert_error(&err, Code::AlreadyExists, "INTEGRATION_ALREADY_EXISTS");
    let metadata = &details.error_info().unwrap().metadata;
    assert_eq!(metadata["integration_id"], first.id);
    assert_eq!(metadata["team_id"], "team-1");
    assert_eq!(metadata["workspace_id"], workspace);
    let reconnect_details = reconnect_details(&err);
    assert_eq!(
        reconnect_details.existing_integration.as_ref().unwrap().id,
        first.id
    );
    assert!(!reconnect_details.reconnect_token.is_empty());
    let expires = reconnect_details
        .reconnect_token_expire_time
        .unwrap()
        .seconds;
    let left = expires - chrono::Utc::now().timestamp();
    assert!(
        (590..=600).contains(&left),
        "reconnect token lives 10 minutes, not {left}s"
    );

    // Still one integration, still holding the first token.
    let tokens = app.sim_tokens(&workspace).await;
    assert_eq!(tokens.len(), 2);
    assert_eq!(app.stored_access_token(&first.id).await, tokens[0]);

    let reconnected = reconnect(&app, &first.id, &reconnect_details.reconnect_token)
        .await
        .unwrap();
    assert_eq!(reconnected.id, first.id);
    assert_eq!(reconnected.reconnect_count, 1);
    assert_eq!(reconnected.status(), IntegrationStatus::Active);
    assert!(reconnected.connect_time.unwrap().seconds >= first.connect_time.unwrap().seconds);
    assert_eq!(app.stored_access_token(&first.id).await, tokens[1]);

    // The fresh token is the one in use: deleting revokes it at Slack.
    app.client()
        .delete_integration(service(v1::DeleteIntegrationRequest {
            integration_id: first.id.clone(),
            skip_token_revocation: false,
        }))
        .await
        .unwrap();
    let revokes = app.sim_calls("auth.revoke").await;
    assert_eq!(revokes.len(), 1);
    assert_eq!(revokes[0]["token"], tokens[1].as_str());

    assert_eq!(
        audit_actions(&app, &first.id).await,
        ["created", "duplicate_attempt", "reconnected", "deleted"]
    );
}

#[tokio::test]
async fn reconnect_tokens_are_single_use_expire_and_belong_to_one_integration() {
    let app = TestApp::spawn().await;
    let ws_a = app.create_workspace("A").await;
    let ws_b = app.create_workspace("B").await;
    let a = app.install("team-1", &ws_a).await.unwrap();
    let b = app.install("team-1", &ws_b).await.unwrap();

    let token_a =
        reconnect_details(&app.install("team-1", &ws_a).await.unwrap_err()).reconnect_token;
    // Not for another integration (and the attempt does not spend it).
    let err = reconnect(&app, &b.id, &token_a).await.unwrap_err();
    assert_error(&err, Code::FailedPrecondition, "RECONNECT_TOKEN_INVALID");
    reconnect(&app, &a.id, &token_a).await.unwrap();
    // Single use.
    let err = reconnect(&app, &a.id, &token_a).await.unwrap_err();
    assert_error(&err, Code::FailedPrecondition, "RECONNECT_TOKEN_INVALID");

    // Expired.
    let token_b =
        reconnect_details(&app.install("team-1", &ws_b).await.unwrap_err()).reconnect_token;
    sqlx::query("UPDATE reconnect_tokens SET expire_time = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();
    let err = reconnect(&app, &b.id, &token_b).await.unwrap_err();
    assert_error(&err, Code::FailedPrecondition, "RECONNECT_TOKEN_INVALID");

    let err = reconnect(&app, &b.id, "made-up").await.unwrap_err();
    assert_error(&err, Code::FailedPrecondition, "RECONNECT_TOKEN_INVALID");
}

async fn start_reconnect(app: &TestApp, team: &str, id: &str) -> v1::StartSlackOAuthResponse {
    app.client()
        .start_slack_o_auth(service(v1::StartSlackOAuthRequest {
            team_id: team.into(),
            reconnect_integration_id: id.into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn an_oauth_reconnect_updates_in_place_and_refuses_another_workspace() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("Home").await;
    let other = app.create_workspace("Elsewhere").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    app.client()
        .update_integration(service(v1::UpdateIntegrationRequest {
            integration: Some(v1::Integration {
                id: integration.id.clone(),
                name: "Renamed".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["name".into()],
            }),
        }))
        .await
        .unwrap();

    let started = start_reconnect(&app, "team-1", &integration.id).await;
    let code = app.authorize(&started.authorize_url, &other).await;
    let err = app.complete(&code, &started.state).await.unwrap_err();
    let details = assert_error(&err, Code::FailedPrecondition, "WORKSPACE_MISMATCH");
    assert_eq!(
        details.error_info().unwrap().metadata["workspace_id"],
        other
    );
    // The token for the workspace nobody asked for is not kept alive.
    let revokes = app.sim_calls("auth.revoke").await;
    assert_eq!(revokes.len(), 1);
    assert_eq!(revokes[0]["workspace_id"], other.as_str());

    let started = start_reconnect(&app, "team-1", &integration.id).await;
    let code = app.authorize(&started.authorize_url, &ws).await;
    let reconnected = app.complete(&code, &started.state).await.unwrap();
    assert_eq!(reconnected.id, integration.id);
    assert_eq!(reconnected.reconnect_count, 1);
    assert_eq!(reconnected.name, "Renamed", "a reconnect keeps the name");
    let tokens = app.sim_tokens(&ws).await;
    assert_eq!(
        app.stored_access_token(&integration.id).await,
        *tokens.last().unwrap()
    );
}

#[tokio::test]
async fn a_reconnect_for_another_teams_integration_cannot_start() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    let err = app
        .client()
        .start_slack_o_auth(as_team(
            "team-2",
            v1::StartSlackOAuthRequest {
                team_id: "team-2".into(),
                reconnect_integration_id: integration.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_error(&err, Code::PermissionDenied, "PERMISSION_DENIED");
}

#[tokio::test]
async fn one_workspace_under_two_teams_and_two_workspaces_under_one_team() {
    let app = TestApp::spawn().await;
    let ws_1 = app.create_workspace("One").await;
    let ws_2 = app.create_workspace("Two").await;
    let a1 = app.install("team-a", &ws_1).await.unwrap();
    let b1 = app.install("team-b", &ws_1).await.unwrap();
    let a2 = app.install("team-a", &ws_2).await.unwrap();
    let ids = [&a1.id, &b1.id, &a2.id];
    assert_eq!(
        ids.iter().collect::<std::collections::HashSet<_>>().len(),
        3
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM integrations")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 3);
}
