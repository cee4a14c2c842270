use switchboard::proto::v1;
use tonic::Code;

use crate::helpers::*;

#[tokio::test]
async fn bad_team_ids_are_field_violations() {
    let app = TestApp::spawn().await;
    for team_id in [String::new(), "x".repeat(10 * 1024), "tab\tin".into()] {
        let err = app
            .client()
            .start_slack_o_auth(service(v1::StartSlackOAuthRequest {
                team_id,
                ..Default::default()
            }))
            .await
            .unwrap_err();
        assert!(field_violations(&err).contains_key("team_id"));
    }
    let err = app
        .client()
        .list_integrations(service(v1::ListIntegrationsRequest {
            team_id: "y".repeat(129),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert!(field_violations(&err).contains_key("team_id"));
}

#[tokio::test]
async fn malformed_uuids_are_field_violations() {
    let app = TestApp::spawn().await;
    for id in [
        "",
        "not-a-uuid",
        "123",
        "00000000000000000000000000000000",
        &"f".repeat(5000),
    ] {
        let err = app.get(id).await.unwrap_err();
        assert!(
            field_violations(&err).contains_key("integration_id"),
            "{id}"
        );
    }
    let err = app
        .client()
        .start_slack_o_auth(service(v1::StartSlackOAuthRequest {
            team_id: "team-1".into(),
            reconnect_integration_id: "nope".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert!(field_violations(&err).contains_key("reconnect_integration_id"));
    let err = app
        .client()
        .reconnect_integration(service(v1::ReconnectIntegrationRequest {
            integration_id: "nope".into(),
            reconnect_token: String::new(),
            request_id: None,
        }))
        .await
        .unwrap_err();
    let violations = field_violations(&err);
    assert!(violations.contains_key("integration_id"));
    assert!(violations.contains_key("reconnect_token"));
}

#[tokio::test]
async fn unknown_enum_values_are_field_violations() {
    let app = TestApp::spawn().await;
    let err = app
        .client()
        .list_integrations(service(v1::ListIntegrationsRequest {
            category: Some(99),
            status: Some(-4),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    let violations = field_violations(&err);
    assert!(violations.contains_key("category"));
    assert!(violations.contains_key("status"));

    let err = app
        .client()
        .list_integrations(service(v1::ListIntegrationsRequest {
            platform_name: Some("myspace".into()),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert!(field_violations(&err).contains_key("platform_name"));
}

#[tokio::test]
async fn missing_fields_are_field_violations() {
    let app = TestApp::spawn().await;
    let err = app
        .client()
        .complete_slack_o_auth(service(v1::CompleteSlackOAuthRequest::default()))
        .await
        .unwrap_err();
    let violations = field_violations(&err);
    assert!(violations.contains_key("code") && violations.contains_key("state"));

    let err = app
        .client()
        .complete_slack_o_auth(service(v1::CompleteSlackOAuthRequest {
            code: "c".repeat(10 * 1024),
            state: "s".into(),
        }))
        .await
        .unwrap_err();
    assert!(field_violations(&err).contains_key("code"));

    let err = app
        .client()
        .update_integration(service(v1::UpdateIntegrationRequest::default()))
        .await
        .unwrap_err();
    assert!(field_violations(&err).contains_key("integration"));

    let err = app
        .client()
        .update_integration(service(v1::UpdateIntegrationRequest {
            integration: Some(v1::Integration {
                id: uuid::Uuid::new_v4().to_string(),
                name: "   ".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["name".into()],
            }),
        }))
        .await
        .unwrap_err();
    assert!(field_violations(&err).contains_key("integration.name"));
}

#[tokio::test]
async fn oversized_messages_are_refused_without_harm() {
    let app = TestApp::spawn().await;
    let err = app
        .client()
        .start_slack_o_auth(service(v1::StartSlackOAuthRequest {
            team_id: "t".repeat(5 * 1024 * 1024),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    // Refused from the length prefix, with our ErrorInfo (tonic's own limit says OUT_OF_RANGE).
    assert_error(&err, Code::ResourceExhausted, "REQUEST_TOO_LARGE");
    // The server is still there.
    app.client()
        .list_platforms(service(v1::ListPlatformsRequest {}))
        .await
        .unwrap();
}
