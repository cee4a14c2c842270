use switchboard::{proto::v1, startup::Application, store::Store};
use tonic::Code;

use crate::helpers::*;

/// No token Slack issued appears in clear in any text, bytea or json column.
#[tokio::test]
async fn no_plaintext_token_anywhere_in_the_database() {
    let app = TestApp::spawn().await;
    let ws = app
        .create_workspace_with(serde_json::json!({"name": "W", "token_rotation": true}))
        .await;
    app.install("team-1", &ws).await.unwrap();
    // A duplicate leaves fresh tokens under a reconnect token.
    app.install("team-1", &ws).await.unwrap_err();
    let tokens = app.sim_tokens(&ws).await;
    assert_eq!(tokens.len(), 2);

    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text
         FROM information_schema.columns
         WHERE table_schema = 'public' AND data_type IN ('text', 'bytea', 'jsonb', 'ARRAY', 'character varying')",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(
        columns
            .iter()
            .any(|(t, c, _)| t == "integrations" && c == "access_token_enc")
    );
    let mut scanned = 0;
    for (table, column, data_type) in &columns {
        for token in &tokens {
            // The random tail is what makes a token secret.
            let secret = token.rsplit('-').next().unwrap();
            let sql = if data_type == "bytea" {
                format!(
                    "SELECT count(*) FROM {table} WHERE position(convert_to($1, 'UTF8') in {column}) > 0"
                )
            } else {
                format!("SELECT count(*) FROM {table} WHERE {column}::text LIKE '%' || $1 || '%'")
            };
            let hits: i64 = sqlx::query_scalar(&sql)
                .bind(secret)
                .fetch_one(&app.db)
                .await
                .unwrap();
            assert_eq!(hits, 0, "{table}.{column} holds a token in clear");
            scanned += 1;
        }
    }
    assert!(scanned > 20, "scanned {scanned} column/token pairs");
}

#[tokio::test]
async fn an_unreachable_database_is_unavailable_with_retry_info() {
    let sim = slack_sim::RunningSim::start("127.0.0.1:0".parse().unwrap(), Default::default())
        .await
        .unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("postgres://postgres@{closed}/nothing");
    let config = test_config(&url, &sim.api_url(), &sim.authorize_url());
    let store = Store::connect_lazy(&url, 2).unwrap();
    let app = Application::build_with_store(config, store).await.unwrap();
    let (grpc, http) = (app.grpc_addr(), app.http_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()));

    let mut client =
        v1::integration_service_client::IntegrationServiceClient::connect(format!("http://{grpc}"))
            .await
            .unwrap();
    let err = client
        .get_integration(service(v1::GetIntegrationRequest {
            integration_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await
        .unwrap_err();
    let details = assert_error(&err, Code::Unavailable, "DATABASE_UNAVAILABLE");
    assert!(details.retry_info().is_some());

    let ready = reqwest::get(format!("http://{http}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503);
}

#[tokio::test]
async fn dropped_database_connections_are_retried() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let integration = app.install("team-1", &ws).await.unwrap();
    // Kill every server connection of the app's pool behind its back.
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(killed >= 1);
    let got = app
        .get(&integration.id)
        .await
        .expect("served after connections dropped");
    assert_eq!(got.id, integration.id);
}
