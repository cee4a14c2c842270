//! Deadlines: every call answers before its deadline, during a database outage (the
//! service cut off Postgres by a proxy for longer than its retry budget) and while
//! waiting for deliveries.

use std::time::{Duration, Instant};

use serde_json::json;
use switchboard::proto::v1::{
    self, BatchSendMessagesResponse, DeliveryState, batch_send_result::Result as BatchResult,
};
use tonic::{Code, Status};

use crate::{db_proxy::DbProxy, helpers::*, messaging_helpers::*};

/// A service whose database connections go through a proxy the test can cut.
async fn app_behind_proxy(request_timeout: Duration) -> (TestApp, DbProxy) {
    let admin_url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let proxy = DbProxy::start(&admin_url).await;
    let app = TestApp::spawn_with(|config| {
        let direct = secrecy::ExposeSecret::expose_secret(&config.database.url).to_owned();
        config.database.url = proxy.url(&direct).into();
        config.http.request_timeout = request_timeout;
    })
    .await;
    (app, proxy)
}

fn batch(integration: &str, ids: &[&str], request_id: &str) -> v1::BatchSendMessagesRequest {
    v1::BatchSendMessagesRequest {
        requests: ids
            .iter()
            .map(|id| send_request(integration, id, id, false))
            .collect(),
        request_id: Some(request_id.to_owned()),
    }
}

async fn send_batch(
    app: &TestApp,
    request: v1::BatchSendMessagesRequest,
) -> Result<BatchSendMessagesResponse, Status> {
    messaging(app)
        .batch_send_messages(service(request))
        .await
        .map(|r| r.into_inner())
}

/// The error of a batch item, as a tonic Status (to read its details).
fn item_error(result: &v1::BatchSendResult) -> Status {
    let Some(BatchResult::Error(status)) = &result.result else {
        panic!("expected an error: {result:?}");
    };
    use prost::Message;
    Status::with_details(
        Code::from(status.code),
        status.message.clone(),
        status.encode_to_vec().into(),
    )
}

#[tokio::test]
async fn a_caller_deadline_during_an_outage_gets_unavailable_with_retry_info() {
    let (app, proxy) = app_behind_proxy(Duration::from_secs(30)).await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;

    proxy.cut();
    let mut request = service(send_request(&integration, "m-1", "hello", false));
    request.set_timeout(Duration::from_secs(3));
    let started = Instant::now();
    let err = messaging(&app).send_message(request).await.unwrap_err();

    // Answered by the service before the caller gave up (which would be DEADLINE_EXCEEDED).
    let details = assert_error(&err, Code::Unavailable, "DATABASE_UNAVAILABLE");
    assert!(details.retry_info().is_some(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "only a hang takes this long"
    );
}

#[tokio::test]
async fn a_batch_during_an_outage_answers_every_item_and_a_repeat_completes_it() {
    // The server's limit, not the caller, bounds these calls.
    let (app, proxy) = app_behind_proxy(Duration::from_secs(6)).await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let request_id = uuid::Uuid::new_v4().to_string();

    proxy.cut();
    let mut plain = batch(&integration, &["a", "b", "c"], &request_id);
    plain.request_id = None;
    let answer = send_batch(&app, plain)
        .await
        .expect("the batch answers, item by item");
    assert_eq!(answer.results.len(), 3);
    let first = item_error(&answer.results[0]);
    let details = assert_error(&first, Code::Unavailable, "DATABASE_UNAVAILABLE");
    assert!(details.retry_info().is_some());
    assert!(!answer.results[0].not_attempted);
    assert_not_attempted(&answer.results[1..]);
    // With a request id that cannot be recorded either, nothing is tried.
    let answer = send_batch(&app, batch(&integration, &["a", "b", "c"], &request_id))
        .await
        .unwrap();
    assert_not_attempted(&answer.results);

    // Once the database is back, the same batch again delivers each item once.
    proxy.restore();
    let answer = send_batch(&app, batch(&integration, &["a", "b", "c"], &request_id))
        .await
        .unwrap();
    let ids: Vec<String> = answer
        .results
        .iter()
        .map(|r| match &r.result {
            Some(BatchResult::Delivery(d)) => d.id.clone(),
            other => panic!("expected a delivery: {other:?}"),
        })
        .collect();
    settle(&app, &ids).await;
    let again = send_batch(&app, batch(&integration, &["a", "b", "c"], &request_id))
        .await
        .unwrap();
    for (result, id) in again.results.iter().zip(&ids) {
        assert!(matches!(&result.result, Some(BatchResult::Delivery(d)) if &d.id == id));
    }
    let texts: Vec<_> = sim_messages(&app)
        .await
        .iter()
        .map(|m| m["text"].clone())
        .collect();
    assert_eq!(texts, [json!("a"), json!("b"), json!("c")]);

    // The same request id for another batch is refused.
    let err = send_batch(&app, batch(&integration, &["a", "b", "d"], &request_id))
        .await
        .unwrap_err();
    assert_error(&err, Code::AlreadyExists, "REQUEST_ID_ALREADY_USED");
}

fn assert_not_attempted(results: &[v1::BatchSendResult]) {
    assert!(!results.is_empty());
    for untried in results {
        assert!(untried.not_attempted, "{untried:?}");
        let status = item_error(untried);
        let details = assert_error(&status, Code::Unavailable, "NOT_ATTEMPTED");
        assert!(details.retry_info().is_some());
    }
}

#[tokio::test]
async fn a_waiting_batch_shares_one_budget_and_answers_before_the_deadline() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    // Slack answers each post only after the caller's deadline.
    app.inject_fault(json!({"method": "chat.postMessage", "kind": "delay", "delay_ms": 4000}))
        .await;
    let requests = (0..3)
        .map(|n| send_request(&integration, &format!("w-{n}"), "slow", true))
        .collect();
    let mut request = service(v1::BatchSendMessagesRequest {
        requests,
        request_id: None,
    });
    request.set_timeout(Duration::from_secs(3));

    let answer = messaging(&app)
        .batch_send_messages(request)
        .await
        .expect("answered before the deadline")
        .into_inner();

    assert_eq!(answer.results.len(), 3);
    let ids: Vec<String> = answer
        .results
        .iter()
        .map(|r| match &r.result {
            Some(BatchResult::Delivery(d)) => {
                assert_eq!(d.state(), DeliveryState::Queued, "{d:?}");
                d.id.clone()
            }
            other => panic!("expected a delivery: {other:?}"),
        })
        .collect();
    // Their current state, not a verdict: they still go out.
    let settled = settle(&app, &ids).await;
    assert!(settled.iter().all(|d| d.state() == DeliveryState::Sent));
}

/// Sessions of the app's database whose last statement was a LISTEN: the delivery
/// workers' notification subscription.
async fn listening(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_workers_listen_again_after_the_database_comes_back() {
    let (app, proxy) = app_behind_proxy(Duration::from_secs(30)).await;
    let within = Duration::from_secs(120);
    wait_for("the workers to LISTEN", within, async || {
        listening(&app).await >= 1
    })
    .await;
    // The outage drops the subscription; resubscribing fails while it lasts.
    proxy.cut();
    wait_for("the subscription to drop", within, async || {
        listening(&app).await == 0
    })
    .await;
    // Longer than the pool's 5 s acquire timeout: attempts to subscribe again fail (they
    // do not just wait for the database), and the worker must keep trying.
    tokio::time::sleep(Duration::from_secs(7)).await;
    proxy.restore();
    wait_for("the workers to LISTEN again", within, async || {
        listening(&app).await >= 1
    })
    .await;
}
