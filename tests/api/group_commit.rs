//! SendMessage's group commit (src/store/post_batch.rs): concurrent calls share
//! transactions, and each still gets exactly its own answer: repeats of one id the same
//! delivery, a changed payload ALREADY_EXISTS, an ineligible integration its own reason,
//! and every message reaches Slack once.

use std::collections::HashMap;

use futures::future::join_all;
use switchboard::proto::v1;
use tonic::Code;

use crate::{helpers::*, messaging_helpers::*};

#[tokio::test]
async fn concurrent_sends_mixing_repeats_conflicts_and_refusals_each_get_their_own_answer() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (ready, _) = ready_integration(&app, "team-1", &ws).await;
    let bare = app.install("team-2", &ws).await.unwrap();

    // 30 distinct posts, the first 10 of them sent twice; "clash" with two payloads; 5
    // posts to an integration without a notification channel. All at once.
    let mut requests = Vec::new();
    for n in 0..30 {
        requests.push(send_request(
            &ready,
            &format!("m-{n}"),
            &format!("body {n}"),
            false,
        ));
        if n < 10 {
            requests.push(send_request(
                &ready,
                &format!("m-{n}"),
                &format!("body {n}"),
                false,
            ));
        }
    }
    requests.push(send_request(&ready, "clash", "first", false));
    requests.push(send_request(&ready, "clash", "second", false));
    for n in 0..5 {
        requests.push(send_request(&bare.id, &format!("b-{n}"), "x", false));
    }
    let answers = join_all(requests.iter().cloned().map(|r| send(&app, r))).await;

    let mut delivery_of: HashMap<&str, String> = HashMap::new();
    let mut clash = (0, 0);
    for (request, answer) in requests.iter().zip(&answers) {
        let id = request.internal_message_id.as_str();
        match (id, answer) {
            ("clash", Ok(_)) => clash.0 += 1,
            ("clash", Err(err)) => {
                assert_error(err, Code::AlreadyExists, "MESSAGE_ALREADY_EXISTS");
                clash.1 += 1;
            }
            (_, Err(err)) if id.starts_with("b-") => {
                assert_error(
                    err,
                    Code::FailedPrecondition,
                    "NOTIFICATION_CHANNEL_NOT_SET",
                );
            }
            (_, Ok(delivery)) => {
                let first = delivery_of.entry(id).or_insert_with(|| delivery.id.clone());
                assert_eq!(*first, delivery.id, "both sends of {id} name one delivery");
            }
            (_, Err(err)) => panic!("{id} was refused: {err:?}"),
        }
    }
    assert_eq!(delivery_of.len(), 30);
    assert_eq!(
        clash,
        (1, 1),
        "one payload of \"clash\" is taken, the other refused"
    );

    let mut ids: Vec<String> = delivery_of.into_values().collect();
    ids.push(
        answers
            .iter()
            .zip(&requests)
            .find_map(|(a, r)| {
                (r.internal_message_id == "clash")
                    .then(|| a.as_ref().ok())
                    .flatten()
            })
            .map(|d| d.id.clone())
            .unwrap(),
    );
    let settled = settle(&app, &ids).await;
    assert!(
        settled
            .iter()
            .all(|d| d.state == v1::DeliveryState::Sent as i32)
    );
    assert_eq!(
        sim_messages(&app).await.len(),
        31,
        "each message posted once"
    );
}
