//! The event stream helper against the live service.

use futures_util::StreamExt;
use switchboard_client::{EVENT_CURSOR_EXPIRED, StreamPolicy};

use super::*;

#[tokio::test]
async fn a_stream_resumed_after_a_restart_misses_nothing_and_repeats_nothing() {
    let client = service_client().await;
    let team = format!("events-{}", uuid::Uuid::new_v4());
    let ws = workspace(&team).await;
    let integration = install(&client, &team, &ws).await.unwrap();
    let request = v1::StreamEventsRequest {
        team_id: team.clone(),
        ..Default::default()
    };
    let policy = StreamPolicy {
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_secs(1),
        max_failures: 0,
    };
    let (position, stream) = client.event_stream(request, policy);
    let mut stream = Box::pin(stream);
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(
        (first.r#type.as_str(), first.integration_id.as_str()),
        ("integration.created", integration.id.as_str())
    );

    // The connection drops (SIGKILL); events are written while the stream reconnects.
    let restart = http()
        .post(format!("{}/restart", env("SWITCHBOARD_HARNESS_URL")))
        .send()
        .await
        .unwrap();
    assert!(restart.status().is_success());
    choose_general(&client, &integration).await;
    let sent = client
        .messaging()
        .send_message(v1::SendMessageRequest {
            integration_id: integration.id.clone(),
            message: Some(v1::Message {
                text: "after the restart".into(),
                ..Default::default()
            }),
            wait_for_delivery: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    let ours = |event: &v1::Event| matches!(&event.payload, Some(v1::event::Payload::DeliverySent(d)) if d.internal_message_id == sent.internal_message_id);
    let mut streamed = vec![first];
    while !ours(streamed.last().unwrap()) {
        let next = tokio::time::timeout(Duration::from_secs(30), stream.next()).await;
        streamed.push(next.expect("an event within 30 s").unwrap().unwrap());
    }
    let logged = client
        .events()
        .list_events(v1::ListEventsRequest {
            team_id: team,
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(logged.events, streamed);
    assert_eq!(position.cursor(), streamed.last().unwrap().cursor);
}

#[tokio::test]
async fn errors_a_retry_cannot_cure_end_the_stream() {
    let client = service_client().await;
    let stranger = client_with(Some(team_token("events-stranger")), RetryPolicy::default()).await;
    let cases = [
        (
            &stranger,
            v1::StreamEventsRequest {
                team_id: "events-other".into(),
                ..Default::default()
            },
            &[Code::PermissionDenied][..],
        ),
        (
            &client,
            v1::StreamEventsRequest {
                after: "not-a-cursor".into(),
                ..Default::default()
            },
            &[Code::InvalidArgument, Code::OutOfRange][..],
        ),
    ];
    for (caller, request, codes) in cases {
        let (_, stream) = caller.event_stream(request, StreamPolicy::default());
        let items: Vec<_> = stream.collect().await;

        let [Err(error)] = items.as_slice() else {
            panic!("want one error and the end, got {items:?}");
        };
        assert!(codes.contains(&error.code), "got {error:?}");
        if error.code == Code::OutOfRange {
            assert_eq!(error.reason, EVENT_CURSOR_EXPIRED);
        }
    }
}
