use prost_types::FieldMask;
use switchboard::proto::v1::{self, IntegrationCategory, IntegrationStatus};
use tonic::Code;

use crate::helpers::*;

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

async fn set_enabled(app: &TestApp, id: &str, enabled: bool) -> v1::Integration {
    app.client()
        .update_integration(service(v1::UpdateIntegrationRequest {
            integration: Some(v1::Integration {
                id: id.into(),
                enabled,
                ..Default::default()
            }),
            update_mask: mask(&["enabled"]),
        }))
        .await
        .unwrap()
        .into_inner()
}

async fn list(
    app: &TestApp,
    request: v1::ListIntegrationsRequest,
) -> Result<v1::ListIntegrationsResponse, tonic::Status> {
    app.client()
        .list_integrations(service(request))
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn disable_makes_inactive_and_enable_makes_active() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();

    let disabled = set_enabled(&app, &integration.id, false).await;
    assert!(!disabled.enabled);
    assert_eq!(disabled.status(), IntegrationStatus::Inactive);
    assert_eq!(disabled.status_reason, "disabled");
    assert_eq!(
        app.get(&integration.id).await.unwrap().status(),
        IntegrationStatus::Inactive
    );

    let enabled = set_enabled(&app, &integration.id, true).await;
    assert_eq!(enabled.status(), IntegrationStatus::Active);
    assert_eq!(enabled.status_reason, "");
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM integration_audit WHERE integration_id = $1::uuid ORDER BY id",
    )
    .bind(&integration.id)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(actions, ["created", "disabled", "enabled"]);
}

#[tokio::test]
async fn update_changes_only_mutable_fields() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    let updated = app
        .client()
        .update_integration(service(v1::UpdateIntegrationRequest {
            integration: Some(v1::Integration {
                id: integration.id.clone(),
                name: "  Alerts  ".into(),
                team_id: "someone-else".into(),
                status: IntegrationStatus::Revoked as i32,
                ..Default::default()
            }),
            update_mask: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.name, "Alerts");
    assert_eq!(
        updated.team_id, "team-1",
        "output-only and immutable fields are ignored"
    );
    assert!(
        updated.enabled,
        "an unset bool is not applied without a mask"
    );
    assert_eq!(updated.status(), IntegrationStatus::Active);

    let err = app
        .client()
        .update_integration(service(v1::UpdateIntegrationRequest {
            integration: Some(v1::Integration {
                id: integration.id.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["team_id"]),
        }))
        .await
        .unwrap_err();
    assert!(field_violations(&err).contains_key("update_mask.paths"));
}

#[tokio::test]
async fn list_filters_pages_and_counts() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let ws = app.create_workspace(&format!("W{i}")).await;
        ids.push(app.install("team-1", &ws).await.unwrap().id);
    }
    let other = app.create_workspace("Other").await;
    app.install("team-2", &other).await.unwrap();
    set_enabled(&app, &ids[2], false).await;
    set_enabled(&app, &ids[5], false).await;

    // Paging in creation order, three at a time, over every page.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = list(
            &app,
            v1::ListIntegrationsRequest {
                team_id: "team-1".into(),
                page_size: 3,
                page_token: token.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(page.total_size, 7);
        assert!(page.integrations.len() <= 3);
        seen.extend(page.integrations.into_iter().map(|i| i.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, ids);

    let inactive = list(
        &app,
        v1::ListIntegrationsRequest {
            team_id: "team-1".into(),
            status: Some(IntegrationStatus::Inactive as i32),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(inactive.total_size, 2);
    assert_eq!(
        inactive
            .integrations
            .iter()
            .map(|i| i.id.clone())
            .collect::<Vec<_>>(),
        [ids[2].clone(), ids[5].clone()]
    );

    let enabled = list(
        &app,
        v1::ListIntegrationsRequest {
            team_id: "team-1".into(),
            enabled: Some(true),
            category: Some(IntegrationCategory::Messaging as i32),
            platform_name: Some("slack".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(enabled.total_size, 5);

    let crm = list(
        &app,
        v1::ListIntegrationsRequest {
            team_id: "team-1".into(),
            category: Some(IntegrationCategory::Crm as i32),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(crm.total_size, 0);
    assert!(crm.integrations.is_empty());

    // A service key without a team sees every team.
    let all = list(&app, v1::ListIntegrationsRequest::default())
        .await
        .unwrap();
    assert_eq!(all.total_size, 8);

    // A team token without a team sees its own.
    let own = app
        .client()
        .list_integrations(as_team("team-2", v1::ListIntegrationsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.total_size, 1);
}

#[tokio::test]
async fn forged_or_reused_page_tokens_are_invalid_argument() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        let ws = app.create_workspace(&format!("W{i}")).await;
        app.install("team-1", &ws).await.unwrap();
    }
    let first = list(
        &app,
        v1::ListIntegrationsRequest {
            team_id: "team-1".into(),
            page_size: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(!first.next_page_token.is_empty());

    let mut tampered = first.next_page_token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for token in ["forged".to_owned(), tampered, base64_key()] {
        let err = list(
            &app,
            v1::ListIntegrationsRequest {
                team_id: "team-1".into(),
                page_size: 1,
                page_token: token.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert!(field_violations(&err).contains_key("page_token"), "{token}");
    }

    // A token is bound to the filters it was issued for.
    let err = list(
        &app,
        v1::ListIntegrationsRequest {
            team_id: "team-1".into(),
            page_size: 1,
            page_token: first.next_page_token.clone(),
            enabled: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(field_violations(&err).contains_key("page_token"));
}

#[tokio::test]
async fn page_sizes_default_and_cap() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    app.install("team-1", &ws).await.unwrap();
    for size in [0, 1000] {
        let page = list(
            &app,
            v1::ListIntegrationsRequest {
                team_id: "team-1".into(),
                page_size: size,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(page.integrations.len(), 1);
    }
    let err = list(
        &app,
        v1::ListIntegrationsRequest {
            team_id: "team-1".into(),
            page_size: -1,
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(field_violations(&err).contains_key("page_size"));
}

#[tokio::test]
async fn delete_removes_and_revokes_unless_told_not_to() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let kept_token = app.install("team-1", &ws).await.unwrap();
    app.client()
        .delete_integration(service(v1::DeleteIntegrationRequest {
            integration_id: kept_token.id.clone(),
            skip_token_revocation: true,
        }))
        .await
        .unwrap();
    assert!(app.sim_calls("auth.revoke").await.is_empty());
    let err = app.get(&kept_token.id).await.unwrap_err();
    assert_error(&err, Code::NotFound, "INTEGRATION_NOT_FOUND");

    let revoked = app.install("team-1", &ws).await.unwrap();
    app.client()
        .delete_integration(service(v1::DeleteIntegrationRequest {
            integration_id: revoked.id.clone(),
            skip_token_revocation: false,
        }))
        .await
        .unwrap();
    assert_eq!(app.sim_calls("auth.revoke").await.len(), 1);
}

#[tokio::test]
async fn list_platforms_gives_the_catalogue() {
    let app = TestApp::spawn().await;
    let platforms = app
        .client()
        .list_platforms(service(v1::ListPlatformsRequest {}))
        .await
        .unwrap()
        .into_inner()
        .platforms;
    assert_eq!(platforms.len(), 15);
    let slack = platforms
        .iter()
        .find(|p| p.platform_name == "slack")
        .unwrap();
    assert!(slack.connectable);
    assert_eq!(slack.category(), IntegrationCategory::Messaging);
    assert_eq!(platforms.iter().filter(|p| p.connectable).count(), 1);
    let jira = platforms
        .iter()
        .find(|p| p.platform_name == "jira")
        .unwrap();
    assert_eq!(jira.category(), IntegrationCategory::Ticketing);
}
