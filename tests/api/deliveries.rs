//! GetDelivery at the canonical path, under its integration (AIP-122), and at the older
//! path that names the delivery alone.

use switchboard::proto::v1;
use tonic::Code;

use crate::{helpers::*, messaging_helpers::*};

fn get_request(integration_id: &str, delivery_id: &str) -> v1::GetDeliveryRequest {
    v1::GetDeliveryRequest {
        delivery_id: delivery_id.into(),
        integration_id: integration_id.into(),
    }
}

#[tokio::test]
async fn a_delivery_answers_under_its_integration_and_on_its_own() {
    let app = TestApp::spawn().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let queued = send(&app, send_request(&integration, "m-1", "hello", false))
        .await
        .unwrap();

    let canonical = messaging(&app)
        .get_delivery(service(get_request(&integration, &queued.id)))
        .await
        .unwrap()
        .into_inner();
    let alone = get_delivery(&app, &queued.id).await;

    for found in [&canonical, &alone] {
        assert_eq!(found.id, queued.id);
        assert_eq!(found.integration_id, integration);
        assert_eq!(found.internal_message_id, "m-1");
    }
}

#[tokio::test]
async fn a_delivery_under_another_integration_is_not_found() {
    let app = TestApp::spawn().await;
    let (first, _) = ready_integration(&app, "team-1", &app.create_workspace("A").await).await;
    let (second, _) = ready_integration(&app, "team-1", &app.create_workspace("B").await).await;
    let queued = send(&app, send_request(&first, "m-1", "hello", false))
        .await
        .unwrap();

    let err = messaging(&app)
        .get_delivery(service(get_request(&second, &queued.id)))
        .await
        .unwrap_err();

    assert_error(&err, Code::NotFound, "DELIVERY_NOT_FOUND");
}

#[tokio::test]
async fn a_malformed_integration_id_is_a_field_violation() {
    let app = TestApp::spawn().await;
    let delivery_id = uuid::Uuid::new_v4().to_string();

    let err = messaging(&app)
        .get_delivery(service(get_request("not-an-id", &delivery_id)))
        .await
        .unwrap_err();

    assert!(
        field_violations(&err).contains_key("integration_id"),
        "{err:?}"
    );
}
