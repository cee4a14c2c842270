//! Webhook subscriptions: signed deliveries in log order, retries after a 500, disabling
//! after the schedule, and the RPCs' validation and team scoping.

use std::time::Duration;

use switchboard::proto::v1::{self, event_service_client::EventServiceClient};
use tonic::{Code, Request, transport::Channel};

use crate::{events_log::all_events, helpers::*, webhook_receiver::Receiver};

pub fn hooks(channel: &Channel) -> EventServiceClient<Channel> {
    EventServiceClient::new(channel.clone())
}

pub fn new_subscription(
    team: &str,
    url: &str,
    types: &[&str],
) -> v1::CreateWebhookSubscriptionRequest {
    v1::CreateWebhookSubscriptionRequest {
        subscription: Some(v1::WebhookSubscription {
            team_id: team.into(),
            url: url.into(),
            event_types: types.iter().map(|t| (*t).to_owned()).collect(),
            ..Default::default()
        }),
    }
}

/// Creates a subscription with the service key and tells the receiver its secret.
pub async fn subscribe(
    channel: &Channel,
    receiver: &Receiver,
    team: &str,
) -> v1::WebhookSubscription {
    let created = hooks(channel)
        .create_webhook_subscription(service(new_subscription(team, &receiver.url, &[])))
        .await
        .expect("CreateWebhookSubscription")
        .into_inner();
    receiver.trust(&created.signing_secret);
    created
}

/// `n` installs for `team`, each of a new workspace: one `integration.created` each.
pub async fn make_events(app: &TestApp, team: &str, n: usize) {
    for i in 0..n {
        let ws = app.create_workspace(&format!("{team} ws {i}")).await;
        app.install(team, &ws).await.expect("install");
    }
}

async fn get(channel: &Channel, id: &str) -> v1::WebhookSubscription {
    hooks(channel)
        .get_webhook_subscription(service(v1::GetWebhookSubscriptionRequest {
            subscription_id: id.into(),
        }))
        .await
        .expect("GetWebhookSubscription")
        .into_inner()
}

fn ids(events: &[v1::Event]) -> Vec<String> {
    events.iter().map(|e| e.id.clone()).collect()
}

#[tokio::test]
async fn deliveries_are_signed_in_log_order_retried_after_a_500_and_only_the_teams() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let sub = subscribe(&app.channel, &receiver, "team-1").await;
    assert!(sub.signing_secret.starts_with("whsec_"));
    receiver.fail_next(2);

    make_events(&app, "team-1", 2).await;
    make_events(&app, "team-2", 1).await;
    make_events(&app, "team-1", 2).await;

    let expected = ids(&all_events(&mut hooks(&app.channel), "team-1").await);
    assert_eq!(expected.len(), 4);
    wait_for("four deliveries", Duration::from_secs(20), async || {
        receiver.accepted_ids().len() >= 4
    })
    .await;
    assert_eq!(
        receiver.accepted_ids(),
        expected,
        "every event once, in log order"
    );
    assert!(receiver.accepted_duplicates().is_empty());
    assert_eq!(receiver.unverified(), 0, "every delivery verifies");
    // The two 500s were answers to the first event; the third try got through.
    let raw = receiver.received();
    assert!(raw[..3].iter().all(|r| r.id == expected[0]));
    assert_eq!(raw.iter().filter(|r| !r.accepted).count(), 2);
    let body = &raw[2].body;
    assert_eq!(body["id"], expected[0]);
    assert_eq!(body["teamId"], "team-1");
    assert_eq!(body["type"], "integration.created");
    assert!(body["integrationCreated"]["workspaceId"].is_string());

    let team2 = ids(&all_events(&mut hooks(&app.channel), "team-2").await);
    assert!(receiver.received().iter().all(|r| !team2.contains(&r.id)));
    wait_until(async || get(&app.channel, &sub.id).await.last_error.is_empty()).await;
    let after = get(&app.channel, &sub.id).await;
    assert!(
        after.signing_secret.is_empty(),
        "the secret is shown only once"
    );
    let last = all_events(&mut hooks(&app.channel), "team-1").await;
    assert_eq!(after.delivered_cursor, last[3].cursor);
}

#[tokio::test]
async fn a_receiver_that_keeps_failing_disables_the_subscription_until_set_active() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let sub = subscribe(&app.channel, &receiver, "team-1").await;
    receiver.fail_next(usize::MAX);

    make_events(&app, "team-1", 1).await;
    wait_for(
        "the subscription to be disabled",
        Duration::from_secs(20),
        async || get(&app.channel, &sub.id).await.state() == v1::WebhookSubscriptionState::Disabled,
    )
    .await;
    let disabled = get(&app.channel, &sub.id).await;
    assert_eq!(disabled.last_error, "http_500");
    // The first try and one per step of the (three-step) test schedule.
    assert_eq!(receiver.received().len(), 4);
    let notices = hooks(&app.channel)
        .list_events(service(v1::ListEventsRequest {
            types: vec!["webhook_subscription.disabled".into()],
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(notices.len(), 1);
    let Some(v1::event::Payload::WebhookSubscriptionDisabled(notice)) = &notices[0].payload else {
        panic!("payload of {:?}", notices[0]);
    };
    assert_eq!(notice.subscription_id, sub.id);
    assert_eq!(notice.last_error, "http_500");

    // Set active again.
    receiver.fail_next(0);
    hooks(&app.channel)
        .update_webhook_subscription(service(v1::UpdateWebhookSubscriptionRequest {
            subscription: Some(v1::WebhookSubscription {
                id: sub.id.clone(),
                state: v1::WebhookSubscriptionState::Active as i32,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["state".into()],
            }),
        }))
        .await
        .unwrap();
    // It resumes with the event that failed, then the notice of its own disabling.
    let team_events = ids(&all_events(&mut hooks(&app.channel), "team-1").await);
    assert_eq!(team_events.len(), 2);
    wait_until(async || receiver.accepted_ids() == team_events).await;
}

fn as_team_jwt<T>(team: &str, message: T) -> Request<T> {
    as_team(team, message)
}

#[tokio::test]
async fn a_team_jwt_manages_only_its_own_subscriptions() {
    let app = TestApp::spawn().await;
    let mut client = hooks(&app.channel);
    let url = "https://hooks.example.com/in";
    let own = client
        .create_webhook_subscription(as_team_jwt("team-a", new_subscription("", url, &[])))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.team_id, "team-a");
    let other = client
        .create_webhook_subscription(service(new_subscription("team-b", url, &[])))
        .await
        .unwrap()
        .into_inner();

    let refused = client
        .create_webhook_subscription(as_team_jwt("team-a", new_subscription("team-b", url, &[])))
        .await
        .unwrap_err();
    assert_error(&refused, Code::PermissionDenied, "PERMISSION_DENIED");
    let id = |id: &str| v1::GetWebhookSubscriptionRequest {
        subscription_id: id.into(),
    };
    let denied = client
        .get_webhook_subscription(as_team_jwt("team-a", id(&other.id)))
        .await
        .unwrap_err();
    assert_error(&denied, Code::PermissionDenied, "PERMISSION_DENIED");
    let delete = client
        .delete_webhook_subscription(as_team_jwt(
            "team-a",
            v1::DeleteWebhookSubscriptionRequest {
                subscription_id: other.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(delete.code(), Code::PermissionDenied);
    let rotate = client
        .rotate_webhook_secret(as_team_jwt(
            "team-a",
            v1::RotateWebhookSecretRequest {
                subscription_id: other.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(rotate.code(), Code::PermissionDenied);
    let listed = client
        .list_webhook_subscriptions(as_team_jwt(
            "team-a",
            v1::ListWebhookSubscriptionsRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids_of(&listed.subscriptions), std::slice::from_ref(&own.id));
    let cross = client
        .list_webhook_subscriptions(as_team_jwt(
            "team-a",
            v1::ListWebhookSubscriptionsRequest {
                team_id: "team-b".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(cross.code(), Code::PermissionDenied);

    // Its own: read without the secret, rotated to a new one, deleted.
    let read = client
        .get_webhook_subscription(as_team_jwt("team-a", id(&own.id)))
        .await
        .unwrap()
        .into_inner();
    assert!(read.signing_secret.is_empty());
    let rotated = client
        .rotate_webhook_secret(as_team_jwt(
            "team-a",
            v1::RotateWebhookSecretRequest {
                subscription_id: own.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(rotated.signing_secret.starts_with("whsec_"));
    assert_ne!(rotated.signing_secret, own.signing_secret);
    client
        .delete_webhook_subscription(as_team_jwt(
            "team-a",
            v1::DeleteWebhookSubscriptionRequest {
                subscription_id: own.id.clone(),
            },
        ))
        .await
        .unwrap();
    let gone = client
        .get_webhook_subscription(service(id(&own.id)))
        .await
        .unwrap_err();
    assert_error(&gone, Code::NotFound, "WEBHOOK_SUBSCRIPTION_NOT_FOUND");
}

fn ids_of(subs: &[v1::WebhookSubscription]) -> Vec<String> {
    subs.iter().map(|s| s.id.clone()).collect()
}

#[tokio::test]
async fn bad_urls_and_unknown_types_are_invalid_and_private_targets_need_the_flag() {
    let app = TestApp::spawn_with(|config| config.webhooks.allow_private = false).await;
    let mut client = hooks(&app.channel);
    for url in [
        "http://127.0.0.1:9000/in",
        "http://localhost/in",
        "http://10.0.0.8/in",
        "http://[::1]/in",
        "ftp://hooks.example.com/",
        "",
    ] {
        let err = client
            .create_webhook_subscription(service(new_subscription("team-1", url, &[])))
            .await
            .unwrap_err();
        assert!(
            field_violations(&err).contains_key("subscription.url"),
            "{url}"
        );
    }
    let err = client
        .create_webhook_subscription(service(new_subscription(
            "team-1",
            "https://hooks.example.com/in",
            &["delivery.sent", "nope"],
        )))
        .await
        .unwrap_err();
    assert!(field_violations(&err).contains_key("subscription.event_types[1]"));
    let err = client
        .get_webhook_subscription(service(v1::GetWebhookSubscriptionRequest {
            subscription_id: "x".into(),
        }))
        .await
        .unwrap_err();
    assert!(field_violations(&err).contains_key("subscription_id"));
    let created = client
        .create_webhook_subscription(service(new_subscription(
            "team-1",
            "https://hooks.example.com/in",
            &["delivery.sent"],
        )))
        .await
        .unwrap()
        .into_inner();
    let moved = client
        .update_webhook_subscription(service(v1::UpdateWebhookSubscriptionRequest {
            subscription: Some(v1::WebhookSubscription {
                id: created.id,
                url: "http://192.168.1.5/in".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["url".into()],
            }),
        }))
        .await
        .unwrap_err();
    assert!(field_violations(&moved).contains_key("subscription.url"));
}
