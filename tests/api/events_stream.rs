//! StreamEvents across a dropped connection, with two service processes writing events at
//! once: the consumer that resumes with its last cursor sees every event once, in log order.

use std::time::Duration;

use switchboard::proto::v1::{self, event_service_client::EventServiceClient};

use crate::{events_log::visible_events, helpers::*, messaging_helpers::*, processes::*};

const PER_REPLICA: usize = 30;

async fn stream_from(addr: &str, after: &str) -> tonic::Streaming<v1::Event> {
    EventServiceClient::connect(addr.to_owned())
        .await
        .unwrap()
        .stream_events(service(v1::StreamEventsRequest {
            after: after.into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

async fn next(stream: &mut tonic::Streaming<v1::Event>) -> v1::Event {
    tokio::time::timeout(Duration::from_secs(60), stream.message())
        .await
        .expect("an event within 60 s")
        .unwrap()
        .expect("the stream stays open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_resumed_stream_has_no_gap_and_no_duplicate_with_two_replicas_writing() {
    let (app, db_url) = app_without_workers().await;
    let ws = app.create_workspace("W").await;
    let (first, _) = ready_integration(&app, "team-1", &ws).await;
    let (second, _) = ready_integration(&app, "team-2", &ws).await;
    let a = start_service(&app, &db_url).await;
    let b = start_service(&app, &db_url).await;

    // Each replica accepts messages and its workers post them: both write delivery.sent.
    let mut sends = Vec::new();
    for (replica, integration) in [(&a, &first), (&b, &second)] {
        let mut client = v1::messaging_service_client::MessagingServiceClient::connect(
            replica.grpc_addr.clone(),
        )
        .await
        .unwrap();
        let integration = integration.clone();
        sends.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..PER_REPLICA {
                let request = send_request(&integration, &format!("m{i}"), "x", false);
                ids.push(
                    client
                        .send_message(service(request))
                        .await
                        .unwrap()
                        .into_inner()
                        .id,
                );
            }
            ids
        }));
    }
    // The consumer reads part of the log from replica A while both write, then drops the
    // connection and resumes on replica B with the last cursor it saw.
    let mut seen = Vec::new();
    let mut stream = stream_from(&a.grpc_addr, "").await;
    while seen.len() < 4 + PER_REPLICA / 2 {
        seen.push(next(&mut stream).await);
    }
    drop(stream);
    let mut stream = stream_from(&b.grpc_addr, &seen.last().unwrap().cursor).await;

    let mut ids = Vec::new();
    for send in sends {
        ids.extend(send.await.unwrap());
    }
    let deliveries = settle(&app, &ids).await;
    assert!(
        deliveries
            .iter()
            .all(|d| d.state() == v1::DeliveryState::Sent)
    );
    let log = visible_events(&app, "", 4 + 2 * PER_REPLICA).await;
    assert_eq!(
        log.len(),
        4 + 2 * PER_REPLICA,
        "setup events and one delivery.sent per message"
    );
    while seen.len() < log.len() {
        seen.push(next(&mut stream).await);
    }
    let ids = |events: &[v1::Event]| events.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&seen),
        ids(&log),
        "every event exactly once, in log order"
    );
    // Nothing more was waiting behind them.
    assert!(
        tokio::time::timeout(Duration::from_millis(1500), stream.message())
            .await
            .is_err()
    );
}
