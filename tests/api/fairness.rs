//! Fairness of the claim order: a channel that was idle, within its pace, goes out ahead
//! of a backlog of busier channels that the workers have not caught up with
//! (`WAKE` in src/store/deliveries.rs), so one team's flood cannot delay another team.

use switchboard::store::Store;
use uuid::Uuid;

use crate::{messaging_helpers::*, processes::*};

#[tokio::test]
async fn an_idle_channel_woken_by_a_message_is_claimed_ahead_of_an_older_backlog() {
    let (app, _) = app_without_workers().await;
    // Team after team of one workspace, 3 messages queued in each channel; their lanes
    // made ready 10 s ago, 10 ms apart, as if the workers had fallen that far behind.
    accept_messages(&app, 20, 3).await;
    sqlx::query(
        "UPDATE channel_lanes l SET next_due = now() - interval '10 s' + x.n * interval '10 ms'
         FROM (SELECT workspace_id, channel_id, row_number() OVER (ORDER BY channel_id) AS n
               FROM channel_lanes) x
         WHERE l.workspace_id = x.workspace_id AND l.channel_id = x.channel_id",
    )
    .execute(&app.db)
    .await
    .unwrap();

    // Another team's first message, to its own idle channel.
    let other_ws = app.create_workspace("Other").await;
    let (other, channel) = ready_integration(&app, "team-other", &other_ws).await;
    send(&app, send_request(&other, "other-1", "hello", false))
        .await
        .unwrap();

    // The two readiest lanes: the backlog's oldest, and the newcomer beside it.
    let store = Store::new(app.db.clone());
    let (terms, pace) = (CLAIM_TERMS, CLAIM_PACE);
    let claimed = store.claim(Uuid::new_v4(), 2, terms, pace).await.unwrap();
    let channels: Vec<&str> = claimed.iter().map(|h| h.channel_id.as_str()).collect();
    assert_eq!(channels.len(), 2);
    assert!(
        channels.contains(&channel.as_str()),
        "the idle channel is claimed among the first two, not after 20 busy ones: {channels:?}"
    );
}
