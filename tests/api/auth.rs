use switchboard::proto::v1;
use tonic::{Code, Request};

use crate::helpers::*;

fn get_request(id: &str) -> v1::GetIntegrationRequest {
    v1::GetIntegrationRequest {
        integration_id: id.into(),
    }
}

#[tokio::test]
async fn missing_bad_and_expired_credentials_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let id = uuid::Uuid::new_v4().to_string();
    let cases = [
        (Request::new(get_request(&id)), "CREDENTIAL_MISSING"),
        (
            with_bearer(get_request(&id), "not-a-key"),
            "CREDENTIAL_INVALID",
        ),
        (
            with_bearer(get_request(&id), &team_token("team-1", -3600)),
            "CREDENTIAL_EXPIRED",
        ),
        (
            with_bearer(
                get_request(&id),
                &format!("{}x", team_token("team-1", 3600)),
            ),
            "CREDENTIAL_INVALID",
        ),
    ];
    for (request, reason) in cases {
        let err = app.client().get_integration(request).await.unwrap_err();
        assert_error(&err, Code::Unauthenticated, reason);
    }

    // A JWT signed with another secret.
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::json!({"team_id": "team-1", "exp": chrono::Utc::now().timestamp() + 3600}),
        &jsonwebtoken::EncodingKey::from_secret(b"another-secret-another-secret-123"),
    )
    .unwrap();
    let err = app
        .client()
        .get_integration(with_bearer(get_request(&id), &forged))
        .await
        .unwrap_err();
    assert_error(&err, Code::Unauthenticated, "CREDENTIAL_INVALID");
}

#[tokio::test]
async fn a_team_token_sees_its_own_and_nothing_else() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let own = app.install("team-1", &ws).await.unwrap();
    let theirs = app.install("team-2", &ws).await.unwrap();

    let got = app
        .client()
        .get_integration(as_team("team-1", get_request(&own.id)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.id, own.id);

    // Another team's integration and a made-up id look the same: PERMISSION_DENIED.
    for id in [theirs.id.clone(), uuid::Uuid::new_v4().to_string()] {
        let err = app
            .client()
            .get_integration(as_team("team-1", get_request(&id)))
            .await
            .unwrap_err();
        assert_error(&err, Code::PermissionDenied, "PERMISSION_DENIED");
        let err = app
            .client()
            .update_integration(as_team(
                "team-1",
                v1::UpdateIntegrationRequest {
                    integration: Some(v1::Integration {
                        id: id.clone(),
                        name: "mine now".into(),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .unwrap_err();
        assert_error(&err, Code::PermissionDenied, "PERMISSION_DENIED");
        let err = app
            .client()
            .delete_integration(as_team(
                "team-1",
                v1::DeleteIntegrationRequest {
                    integration_id: id.clone(),
                    skip_token_revocation: true,
                },
            ))
            .await
            .unwrap_err();
        assert_error(&err, Code::PermissionDenied, "PERMISSION_DENIED");
    }
    assert_eq!(app.get(&theirs.id).await.unwrap().name, "W", "untouched");

    let err = app
        .client()
        .list_integrations(as_team(
            "team-1",
            v1::ListIntegrationsRequest {
                team_id: "team-2".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_error(&err, Code::PermissionDenied, "PERMISSION_DENIED");

    // A service key is told plainly that a made-up id does not exist.
    let err = app
        .get(&uuid::Uuid::new_v4().to_string())
        .await
        .unwrap_err();
    assert_error(&err, Code::NotFound, "INTEGRATION_NOT_FOUND");
}

#[tokio::test]
async fn auth_disabled_lets_every_call_through() {
    let app = TestApp::spawn_with(|config| {
        config.auth = switchboard::config::AuthConfig::Disabled;
    })
    .await;
    app.client()
        .list_platforms(Request::new(v1::ListPlatformsRequest {}))
        .await
        .expect("no credential needed when auth is disabled");
}
