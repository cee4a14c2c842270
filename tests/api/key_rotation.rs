//! Token-key rotation with the service running: a rolling restart onto a key list,
//! `switchboard rotate-keys` as a real process while deliveries flow, and the old key
//! retired. Nothing becomes undecryptable and every message arrives exactly once.

use std::process::{Command, Output};

use base64::Engine as _;
use secrecy::ExposeSecret;
use switchboard::{
    crypto::TokenCipher,
    domain::webhook::secret_binding,
    proto::v1::{self, integration_service_client::IntegrationServiceClient},
};
use tonic::Code;
use uuid::Uuid;

use crate::{
    helpers::*, messaging_helpers::*, processes::*, webhook_receiver::Receiver, webhooks::subscribe,
};

const NEW_KEY: [u8; 32] = [43u8; 32];
const CHANNELS: usize = 8;
const PER_CHANNEL: usize = 60;

fn b64(key: &[u8; 32]) -> String {
    base64::engine::general_purpose::STANDARD.encode(key)
}

/// `k1:NEW,k0:OLD`: the new key first, the single key of the tests listed as `k0`.
fn rotated_keys() -> String {
    format!("k1:{},k0:{}", b64(&NEW_KEY), b64(&ENCRYPTION_KEY))
}

/// The settings of a service on the key list `keys` (the single key unset).
fn key_list(keys: &str) -> [(&'static str, &str); 2] {
    [
        ("SWITCHBOARD_TOKEN_ENCRYPTION_KEY", ""),
        ("SWITCHBOARD_TOKEN_ENCRYPTION_KEYS", keys),
    ]
}

/// Runs `switchboard rotate-keys` as its own process with `keys` as the key list.
fn rotate_keys(db_url: &str, keys: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["rotate-keys", "--batch-size", "3"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db_url)
        .env("SWITCHBOARD_TOKEN_ENCRYPTION_KEYS", keys)
        .env("RUST_LOG", "error")
        .output()
        .expect("run rotate-keys")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An integration's id, team, workspace and sealed access and refresh token.
type SealedTokens = (Uuid, String, String, Vec<u8>, Option<Vec<u8>>);

/// Every sealed value in the database, opened with `cipher`: (what, plaintext or None).
async fn open_all(app: &TestApp, cipher: &TokenCipher) -> Vec<(String, Option<String>)> {
    let tokens: Vec<SealedTokens> = sqlx::query_as(
        "SELECT id, team_id, workspace_id, access_token_enc, refresh_token_enc FROM integrations ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let secrets: Vec<(Uuid, Vec<u8>)> =
        sqlx::query_as("SELECT id, secret_ciphertext FROM webhook_subscriptions ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let open = |sealed: &[u8], binding: &str| {
        cipher
            .decrypt(sealed, binding)
            .ok()
            .map(|t| t.expose_secret().to_owned())
    };
    let mut opened = Vec::new();
    for (id, team, workspace, access, refresh) in tokens {
        let binding = switchboard::crypto::token_binding(&team, &workspace);
        opened.push((format!("integration {id}"), open(&access, &binding)));
        if let Some(refresh) = refresh {
            opened.push((format!("refresh {id}"), open(&refresh, &binding)));
        }
    }
    for (id, sealed) in secrets {
        opened.push((format!("webhook {id}"), open(&sealed, &secret_binding(id))));
    }
    opened
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotating_the_token_key_while_deliveries_flow_loses_nothing() {
    // Arrange: tokens and a webhook secret sealed with the single key, a backlog of
    // messages, a service on the single key delivering it, and one more integration (in
    // its own workspace) whose messages come later.
    let (app, db_url) = app_without_workers().await;
    let receiver = Receiver::start().await;
    let subscription = subscribe(&app.channel, &receiver, "team-0").await;
    let mut ids = accept_messages(&app, CHANNELS, PER_CHANNEL).await;
    let late_ws = app.create_workspace("Late").await;
    let (late, _) = ready_integration(&app, "team-late", &late_ws).await;
    let before = open_all(&app, &TokenCipher::new(&ENCRYPTION_KEY)).await;
    assert!(before.iter().all(|(_, plain)| plain.is_some()));
    let old = start_service(&app, &db_url).await;
    wait_until(async || !sim_messages(&app).await.is_empty()).await;

    // Act: a rolling restart onto [k1, k0]; then, with a post of the late integration
    // held in flight at Slack, rotate-keys as its own process; then Slack answers.
    let keys = rotated_keys();
    let _new = start_service_with(&app, &db_url, &key_list(&keys)).await;
    assert!(old.terminate().success());
    app.inject_fault(serde_json::json!({
        "method": "chat.postMessage", "workspace_id": late_ws, "kind": "hold", "times": 1
    }))
    .await;
    ids.extend(send_numbered(&app, &late, PER_CHANNEL).await);
    wait_until(async || {
        app.sim_calls("chat.postMessage")
            .await
            .iter()
            .any(|call| call["workspace_id"] == late_ws.as_str())
    })
    .await;
    let (db, keys_for_run) = (db_url.clone(), keys.clone());
    let run = tokio::task::spawn_blocking(move || rotate_keys(&db, &keys_for_run))
        .await
        .unwrap();
    let delivered_during_rotation = sim_messages(&app).await.len();
    app.sim_post("/_sim/faults/release", serde_json::json!({}))
        .await;

    // Assert: the rotation re-sealed every value while a delivery was in flight, and
    // everything now opens with the new key alone, to the same plaintext.
    assert!(delivered_during_rotation < ids.len(), "a post was held");
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{stdout}{}", text(&run.stderr));
    assert!(stdout.contains("rotating to key \"k1\""), "{stdout}");
    assert!(
        stdout.contains(" re-sealed 10 "),
        "9 tokens and 1 secret: {stdout}"
    );
    let new_only = TokenCipher::with_keys([("k1", &NEW_KEY)]);
    let after = open_all(&app, &new_only).await;
    assert_eq!(after, before, "every value opens with k1 alone, unchanged");
    assert!(after.contains(&(
        format!("webhook {}", subscription.id),
        Some(subscription.signing_secret.clone())
    )));
    assert_exactly_once(&app, &ids, CHANNELS + 1).await;

    // A second run finds nothing to do.
    let again = rotate_keys(&db_url, &keys);
    assert!(again.status.success());
    let again = text(&again.stdout);
    assert!(again.contains(" re-sealed 0 "), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_keys_names_rows_no_listed_key_opens_and_fails() {
    let (app, db_url) = app_without_workers().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let token = app.stored_access_token(&integration).await;

    let run = rotate_keys(&db_url, &format!("k9:{}", b64(&NEW_KEY)));

    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains(&format!("integration {integration}")),
        "{stderr}"
    );
    assert!(!stderr.contains(&token) && !text(&run.stdout).contains(&token));
    // Nothing was rewritten: the row still opens with the key that sealed it.
    assert_eq!(app.stored_access_token(&integration).await, token);
}

#[test]
fn a_bad_key_list_stops_rotate_keys_with_one_line() {
    let run = rotate_keys(
        "postgres://localhost/unused",
        &format!("k1:{},k1:{}", b64(&NEW_KEY), b64(&ENCRYPTION_KEY)),
    );
    assert!(!run.status.success());
    assert_eq!(
        text(&run.stderr).trim(),
        "switchboard: setting SWITCHBOARD_TOKEN_ENCRYPTION_KEYS names key id \"k1\" twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_tokens_work_while_their_key_is_listed_and_are_refused_cleanly_after() {
    let (app, db_url) = app_without_workers().await;
    for i in 0..3 {
        let ws = app.create_workspace(&format!("W{i}")).await;
        app.install("team-1", &ws).await.unwrap();
    }
    let request = |page_token: &str| v1::ListIntegrationsRequest {
        team_id: "team-1".into(),
        page_size: 1,
        page_token: page_token.into(),
        ..Default::default()
    };
    let first = app
        .client()
        .list_integrations(service(request("")))
        .await
        .unwrap()
        .into_inner();
    let keys = rotated_keys();
    let listed = start_service_with(&app, &db_url, &key_list(&keys)).await;
    let new_only = format!("k1:{}", b64(&NEW_KEY));
    let retired = start_service_with(&app, &db_url, &key_list(&new_only)).await;
    let list = async |process: &ServiceProcess| {
        IntegrationServiceClient::connect(process.grpc_addr.clone())
            .await
            .unwrap()
            .list_integrations(service(request(&first.next_page_token)))
            .await
            .map(|r| r.into_inner())
    };

    let second = list(&listed).await.expect("k0 is still listed");
    let refused = list(&retired).await.unwrap_err();

    assert_eq!(second.integrations.len(), 1);
    assert_ne!(second.integrations[0].id, first.integrations[0].id);
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        field_violations(&refused)["page_token"],
        "is not a page token issued for this request"
    );
}
