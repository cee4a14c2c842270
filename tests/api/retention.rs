//! Retention of the outbox's history: finished deliveries (with their attempts) and handled
//! Slack events older than the retention go, a batch at a time; everything younger, still
//! pending, or still needed by a queued reply or edit stays.

use std::{process::Stdio, time::Duration};

use serde_json::json;
use sqlx::PgPool;
use switchboard::{
    core::{Core, Removed, Retention},
    crypto::TokenCipher,
    proto::v1::{self, monitoring_service_client::MonitoringServiceClient},
    slack::SlackClient,
    store::{FinishedCursor, Store},
};
use tonic::Code;
use uuid::Uuid;

use crate::{helpers::*, messaging_helpers::*};

const RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// A delivery row as the outbox would hold it; `finished_days_ago` `None` leaves it as
/// `state` made it (a pending one has no finish time).
struct Row<'a> {
    state: &'a str,
    finished_days_ago: Option<i32>,
    message_id: &'a str,
    kind: &'a str,
    parent: Option<&'a str>,
    target: Option<Uuid>,
}

impl<'a> Row<'a> {
    fn finished(state: &'a str, days_ago: i32, message_id: &'a str) -> Self {
        Self {
            state,
            finished_days_ago: Some(days_ago),
            message_id,
            kind: "post",
            parent: None,
            target: None,
        }
    }

    fn queued(kind: &'a str, message_id: &'a str) -> Self {
        Self {
            state: "queued",
            finished_days_ago: None,
            message_id,
            kind,
            parent: None,
            target: None,
        }
    }
}

const INTEGRATION: Uuid = Uuid::from_u128(7);

async fn insert(db: &PgPool, row: Row<'_>, attempts: i32) -> Uuid {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO deliveries (id, integration_id, team_id, workspace_id, channel_id, kind,
             internal_message_id, parent_internal_message_id, target_delivery_id, payload,
             payload_hash, state, create_time, finish_time)
         VALUES ($1, $2, 'team-1', 'W1', 'C1', $3, $4, $5, $6, '{}', '\\x00', $7,
                 now() - make_interval(days => COALESCE($8, 0) + 1),
                 now() - make_interval(days => $8))",
    )
    .bind(id)
    .bind(INTEGRATION)
    .bind(row.kind)
    .bind(row.message_id)
    .bind(row.parent)
    .bind(row.target)
    .bind(row.state)
    .bind(row.finished_days_ago)
    .execute(db)
    .await
    .unwrap();
    for _ in 0..attempts {
        sqlx::query(
            "INSERT INTO delivery_attempts (delivery_id, integration_id, team_id, latency_ms, outcome)
             VALUES ($1, $2, 'team-1', 10, 'sent')",
        )
        .bind(id)
        .bind(INTEGRATION)
        .execute(db)
        .await
        .unwrap();
    }
    id
}

async fn ids(db: &PgPool, sql: &str) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = sqlx::query_scalar(sql).fetch_all(db).await.unwrap();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

/// Removes old finished deliveries `batch` at a time until a batch comes up short; what
/// each batch took up and removed (deliveries, attempts).
async fn walk(store: &Store, batch: i64) -> Vec<(u64, u64, u64)> {
    let mut batches = Vec::new();
    let mut after = FinishedCursor::default();
    loop {
        let removed = store
            .remove_finished_deliveries(RETENTION, after, batch)
            .await
            .unwrap();
        batches.push((removed.examined, removed.deliveries, removed.attempts));
        after = removed.next;
        if removed.examined < batch as u64 {
            return batches;
        }
    }
}

#[tokio::test]
async fn old_finished_deliveries_go_in_batches_with_their_attempts_and_the_rest_stays() {
    let (db, _) = fresh_database().await;
    let store = Store::new(db.clone());
    for (n, state) in ["sent", "failed", "cancelled", "sent", "sent"]
        .into_iter()
        .enumerate()
    {
        insert(
            &db,
            Row::finished(state, 40 + n as i32, &format!("old-{n}")),
            2,
        )
        .await;
    }
    let young = insert(&db, Row::finished("sent", 29, "young"), 1).await;
    let pending = insert(&db, Row::queued("post", "pending"), 0).await;
    // Old and finished, but a queued reply waits for the one and an update for the other.
    let parent = insert(&db, Row::finished("sent", 50, "parent"), 1).await;
    let reply = Row {
        parent: Some("parent"),
        ..Row::queued("reply", "reply")
    };
    let reply = insert(&db, reply, 0).await;
    let target = insert(&db, Row::finished("sent", 50, "target"), 1).await;
    let update = Row {
        target: Some(target),
        ..Row::queued("update", "target")
    };
    let update = insert(&db, update, 0).await;

    // Oldest first, two at a time: the two still needed are passed by, not met again.
    assert_eq!(
        walk(&store, 2).await,
        [(2, 0, 0), (2, 2, 4), (2, 2, 4), (1, 1, 2)]
    );
    let kept = sorted(vec![young, pending, parent, reply, target, update]);
    assert_eq!(ids(&db, "SELECT id FROM deliveries").await, kept);
    assert_eq!(
        ids(&db, "SELECT delivery_id FROM delivery_attempts").await,
        sorted(vec![young, parent, target])
    );

    // The reply and the update went out long ago too: now all four go.
    sqlx::query(
        "UPDATE deliveries SET state = 'sent', finish_time = now() - interval '40 days'
         WHERE id = ANY($1)",
    )
    .bind([reply, update])
    .execute(&db)
    .await
    .unwrap();
    assert_eq!(walk(&store, 10).await, [(4, 4, 2)]);
    assert_eq!(
        ids(&db, "SELECT id FROM deliveries").await,
        sorted(vec![young, pending])
    );
}

#[tokio::test]
async fn old_slack_events_go_in_batches_and_young_ones_stay() {
    let (db, _) = fresh_database().await;
    let store = Store::new(db.clone());
    for (id, days) in [("Ev1", 31), ("Ev2", 45), ("interaction:k", 60), ("Ev3", 29)] {
        sqlx::query(
            "INSERT INTO slack_events (event_id, workspace_id, event_type, event_time, received_time)
             VALUES ($1, 'W1', 'channel_rename', now(), now() - make_interval(days => $2))",
        )
        .bind(id)
        .bind(days)
        .execute(&db)
        .await
        .unwrap();
    }
    let mut batches = Vec::new();
    for _ in 0..3 {
        batches.push(
            store
                .remove_slack_events_older_than(RETENTION, 2)
                .await
                .unwrap(),
        );
    }
    assert_eq!(batches, [2, 1, 0]);
    let left: Vec<String> = sqlx::query_scalar("SELECT event_id FROM slack_events")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(left, ["Ev3"]);
}

/// The use cases over the test's database and simulator, to run a sweep at will.
fn core_of(app: &TestApp) -> Core {
    let config = test_config(
        "postgres://unused/db",
        &app.sim.api_url(),
        &app.sim.authorize_url(),
    );
    let slack = SlackClient::new(app.sim.api_url().parse().unwrap(), Duration::from_secs(5));
    Core::new(
        &config,
        Store::new(app.db.clone()),
        slack,
        TokenCipher::new(&ENCRYPTION_KEY),
    )
}

fn monitoring(app: &TestApp) -> MonitoringServiceClient<tonic::transport::Channel> {
    MonitoringServiceClient::new(app.channel.clone())
}

/// The figures the monitoring RPCs give for the last `days` days.
async fn figures(
    app: &TestApp,
    days: i64,
) -> (v1::GetMessagingStatsResponse, v1::GetDashboardStatsResponse) {
    let at = |offset: chrono::Duration| {
        let time = chrono::Utc::now() + offset;
        Some(prost_types::Timestamp {
            seconds: time.timestamp(),
            nanos: 0,
        })
    };
    let stats = monitoring(app)
        .get_messaging_stats(service(v1::GetMessagingStatsRequest {
            start_time: at(-chrono::Duration::days(days)),
            end_time: at(chrono::Duration::minutes(1)),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let dashboard = monitoring(app)
        .get_dashboard_stats(service(v1::GetDashboardStatsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    (stats, dashboard)
}

#[tokio::test]
async fn a_sweep_removes_what_aged_out_and_the_figures_within_the_retention_do_not_move() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    send(&app, send_request(&integration, "old", "old", true))
        .await
        .unwrap();
    reply(&app, &integration, "old", "old-reply", "re", true).await;
    app.inject_fault(
        json!({"method": "chat.postMessage", "kind": "error", "error": "msg_too_long", "times": 1}),
    )
    .await;
    let failed = send(&app, send_request(&integration, "old-failed", "x", true))
        .await
        .unwrap();
    assert_eq!(failed.state(), v1::DeliveryState::Failed);
    let young = send(&app, send_request(&integration, "young", "young", true))
        .await
        .unwrap();
    let unfinished: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deliveries WHERE finish_time IS NULL OR finish_time < create_time",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(unfinished, 0, "every final delivery says when it finished");

    // Everything but "young" happened 40 days ago.
    sqlx::query(
        "WITH old AS (
             UPDATE deliveries SET create_time = create_time - interval '40 days',
                 sent_time = sent_time - interval '40 days',
                 finish_time = finish_time - interval '40 days'
             WHERE internal_message_id <> 'young' RETURNING id)
         UPDATE delivery_attempts SET attempt_time = attempt_time - interval '40 days'
         WHERE delivery_id IN (SELECT id FROM old)",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let before = figures(&app, 30).await;
    assert_eq!(before.0.total_attempts, 1);

    let core = core_of(&app);
    let keep = Retention {
        events: RETENTION,
        deliveries: RETENTION,
    };
    let removed = core.remove_expired(keep).await.unwrap();
    assert_eq!(
        (removed.deliveries, removed.attempts),
        (3, 3),
        "{removed:?}"
    );
    assert_eq!(figures(&app, 30).await, before);
    let left: Vec<String> = sqlx::query_scalar("SELECT internal_message_id FROM deliveries")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(left, ["young"]);
    assert_eq!(
        get_delivery(&app, &young.id).await.state(),
        v1::DeliveryState::Sent
    );

    // A removed message is unknown: no reply to it, and its id is free again (the
    // idempotency window is the retention).
    let err = messaging(&app)
        .reply_to_message(service(v1::ReplyToMessageRequest {
            integration_id: integration.clone(),
            parent_internal_message_id: "old".into(),
            message: text("late"),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_error(&err, Code::NotFound, "MESSAGE_NOT_FOUND");
    let again = send(&app, send_request(&integration, "old", "old again", false))
        .await
        .unwrap();
    assert_eq!(again.internal_message_id, "old");
    assert_eq!(core.remove_expired(keep).await.unwrap(), Removed::default());
}

#[tokio::test]
async fn a_cancelled_delivery_says_when_it_was_cancelled() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    // A long 429 keeps the message queued until the integration is deleted.
    app.inject_fault(
        json!({"method": "chat.postMessage", "kind": "rate_limited", "retry_after": 600, "times": 1}),
    )
    .await;
    let queued = send(&app, send_request(&integration, "m", "m", false))
        .await
        .unwrap();
    wait_for("the 429", Duration::from_secs(30), async || {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM delivery_attempts")
            .fetch_one(&app.db)
            .await
            .unwrap()
            == 1
    })
    .await;
    app.client
        .clone()
        .delete_integration(service(v1::DeleteIntegrationRequest {
            integration_id: integration.clone(),
            ..Default::default()
        }))
        .await
        .unwrap();
    let (state, finished): (String, bool) =
        sqlx::query_as("SELECT state, finish_time IS NOT NULL FROM deliveries WHERE id = $1")
            .bind(queued.id.parse::<Uuid>().unwrap())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((state.as_str(), finished), ("cancelled", true));
}

/// A reply racing the sweep: whichever takes the parent's row first decides. Here the
/// sweep holds it (as its first statement does), the reply waits, the parent goes, and the
/// reply is refused as if it had come later: it is never queued without its parent.
#[tokio::test]
async fn a_reply_to_a_parent_the_sweep_is_removing_is_not_found() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let parent = send(&app, send_request(&integration, "p", "p", true))
        .await
        .unwrap();
    let parent_id: Uuid = parent.id.parse().unwrap();
    let mut sweep = app.db.begin().await.unwrap();
    sqlx::query("SELECT id FROM deliveries WHERE id = $1 FOR UPDATE")
        .bind(parent_id)
        .execute(&mut *sweep)
        .await
        .unwrap();
    let replying = tokio::spawn({
        let mut client = messaging(&app);
        let integration = integration.clone();
        async move {
            client
                .reply_to_message(service(v1::ReplyToMessageRequest {
                    integration_id: integration,
                    parent_internal_message_id: "p".into(),
                    message: text("racing"),
                    internal_message_id: "r".into(),
                    ..Default::default()
                }))
                .await
        }
    });
    wait_for(
        "the reply to wait for the parent",
        Duration::from_secs(30),
        async || {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'
               AND query LIKE '%FOR KEY SHARE%'",
            )
            .fetch_one(&app.db)
            .await
            .unwrap()
                == 1
        },
    )
    .await;
    sqlx::query("DELETE FROM deliveries WHERE id = $1")
        .bind(parent_id)
        .execute(&mut *sweep)
        .await
        .unwrap();
    sweep.commit().await.unwrap();
    let err = replying.await.unwrap().unwrap_err();
    assert_error(&err, Code::NotFound, "MESSAGE_NOT_FOUND");
    let replies: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE kind = 'reply'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(replies, 0);
}

#[tokio::test]
async fn the_service_sweeps_on_its_own() {
    let app = TestApp::spawn_with(|config| {
        config.retention.sweep_every = Some(Duration::from_millis(50));
    })
    .await;
    insert(&app.db, Row::finished("sent", 40, "old"), 2).await;
    let young = insert(&app.db, Row::finished("sent", 1, "young"), 1).await;
    wait_for("the sweep", Duration::from_secs(30), async || {
        ids(&app.db, "SELECT delivery_id FROM delivery_attempts").await == [young]
    })
    .await;
    assert_eq!(ids(&app.db, "SELECT id FROM deliveries").await, [young]);
}

/// The other order: a reply being queued holds its parent, and the sweep passes it by.
#[tokio::test]
async fn the_sweep_passes_by_a_parent_a_reply_is_being_queued_for() {
    let (db, _) = fresh_database().await;
    let store = Store::new(db.clone());
    let parent = insert(&db, Row::finished("sent", 40, "parent"), 1).await;
    let mut enqueue = db.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM deliveries WHERE id = $1 FOR KEY SHARE")
        .bind(parent)
        .execute(&mut *enqueue)
        .await
        .unwrap();
    assert_eq!(walk(&store, 10).await, [(0, 0, 0)]);
    enqueue.commit().await.unwrap();
    assert_eq!(
        walk(&store, 10).await,
        [(1, 1, 1)],
        "once the hold is gone, so is the parent"
    );
}

#[tokio::test]
async fn a_retention_shorter_than_two_days_stops_start_up_naming_the_setting() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("serve")
        .env_clear()
        .env("DATABASE_URL", "postgres://localhost/unused")
        .env("SWITCHBOARD_API_KEYS", API_KEY)
        .env("SWITCHBOARD_TOKEN_ENCRYPTION_KEY", base64_key())
        .env("SLACK_CLIENT_ID", "id")
        .env("SLACK_CLIENT_SECRET", "secret")
        .env("SLACK_REDIRECT_URI", REDIRECT_URI)
        .env("SWITCHBOARD_DELIVERY_RETENTION_DAYS", "1")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("SWITCHBOARD_DELIVERY_RETENTION_DAYS (1) must be at least 2"),
        "{stderr}"
    );
}
