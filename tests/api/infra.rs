use prost::Message;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

use tonic::transport::Channel;

use crate::helpers::*;

#[tokio::test]
async fn health_answers_serving_without_credentials() {
    let app = TestApp::spawn().await;
    let mut health = HealthClient::new(app.channel.clone());
    for service in ["", "switchboard.v1.IntegrationService"] {
        assert_eq!(
            status(&mut health, service).await,
            ServingStatus::Serving,
            "{service:?}"
        );
    }
}

#[tokio::test]
async fn health_reports_serving_for_every_service_in_the_contract() {
    let app = TestApp::spawn().await;
    let mut health = HealthClient::new(app.channel.clone());
    // Every service the contract declares, so a service added later is covered too.
    let contract =
        prost_types::FileDescriptorSet::decode(switchboard::proto::FILE_DESCRIPTOR_SET).unwrap();
    let names: Vec<String> = contract
        .file
        .iter()
        .flat_map(|file| {
            file.service
                .iter()
                .map(move |service| format!("{}.{}", file.package(), service.name()))
        })
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    for service in names {
        assert_eq!(
            status(&mut health, &service).await,
            ServingStatus::Serving,
            "{service}"
        );
    }
}

async fn status(health: &mut HealthClient<Channel>, service: &str) -> ServingStatus {
    let answer = health
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .unwrap()
        .into_inner();
    answer.status()
}

#[tokio::test]
async fn reflection_lists_the_services_without_credentials() {
    let app = TestApp::spawn().await;
    let mut reflection = ServerReflectionClient::new(app.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("unexpected answer {answer:?}");
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&"switchboard.v1.IntegrationService"),
        "{names:?}"
    );
    assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");

    // The descriptors resolve, imports included, so grpcurl can describe every message.
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(
            "switchboard.v1.ReconnectDetails".into(),
        )),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.message().await.unwrap().unwrap();
    assert!(matches!(
        answer.message_response,
        Some(MessageResponse::FileDescriptorResponse(_))
    ));
}

#[tokio::test]
async fn http_probes_answer() {
    let app = TestApp::spawn().await;
    for (path, body) in [("/healthz", "ok\n"), ("/readyz", "ready\n")] {
        let answer = app.http_get(path).await;
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.text().await.unwrap(), body, "{path} ends its line");
    }
}
