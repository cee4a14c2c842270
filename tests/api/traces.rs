//! OpenTelemetry: spans reach an OTLP receiver and continue the caller's trace.

use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};
use switchboard::proto::v1::{self, integration_service_client::IntegrationServiceClient};
use tokio_stream::wrappers::TcpListenerStream;

use crate::{helpers::*, processes::start_service_with};

/// An exported span: its trace id and name.
type SpanSeen = (Vec<u8>, String);

/// Collects every exported span.
#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<SpanSeen>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                spans.extend(scope.spans.into_iter().map(|s| (s.trace_id, s.name)));
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rpc_span_reaches_the_otlp_receiver_in_the_callers_trace() {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(receiver.clone()))
        .serve_with_incoming(TcpListenerStream::new(listener));
    tokio::spawn(server);

    let mut db_url = String::new();
    let app = TestApp::spawn_with(|config| {
        db_url = secrecy::ExposeSecret::expose_secret(&config.database.url).to_owned();
    })
    .await;
    let process = start_service_with(
        &app,
        &db_url,
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str())],
    )
    .await;
    let mut client = IntegrationServiceClient::connect(process.grpc_addr.clone())
        .await
        .unwrap();
    let mut request = service(v1::ListPlatformsRequest {});
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE_ID}-00f067aa0ba902b7-01")
            .parse()
            .unwrap(),
    );
    client.list_platforms(request).await.unwrap();
    drop(client);

    // A graceful stop flushes the spans.
    assert!(process.terminate().success());
    let spans = receiver.spans.lock().unwrap().clone();
    let trace_id: Vec<u8> = (0..TRACE_ID.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&TRACE_ID[i..i + 2], 16).unwrap())
        .collect();
    assert!(
        spans
            .iter()
            .any(|(id, name)| *id == trace_id && name.ends_with("ListPlatforms")),
        "{spans:?}"
    );
}
