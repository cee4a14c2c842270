//! OpenTelemetry: spans reach an OTLP receiver and continue the caller's trace, through
//! the outbox to Slack.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::any_value,
    trace::v1::Span,
};
use switchboard::proto::v1::{
    self, integration_service_client::IntegrationServiceClient,
    messaging_service_client::MessagingServiceClient,
};
use tokio_stream::wrappers::TcpListenerStream;

use crate::{
    helpers::*,
    messaging_helpers::*,
    processes::{ServiceProcess, app_without_workers, start_service_with},
};

/// An exported span, with its string attributes.
#[derive(Debug, Clone)]
struct SpanSeen {
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    parent_span_id: Vec<u8>,
    name: String,
    attributes: HashMap<String, String>,
}

impl From<Span> for SpanSeen {
    fn from(span: Span) -> Self {
        let attributes = span
            .attributes
            .into_iter()
            .filter_map(|kv| match kv.value?.value? {
                any_value::Value::StringValue(value) => Some((kv.key, value)),
                _ => None,
            })
            .collect();
        Self {
            trace_id: span.trace_id,
            span_id: span.span_id,
            parent_span_id: span.parent_span_id,
            name: span.name,
            attributes,
        }
    }
}

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
                spans.extend(scope.spans.into_iter().map(SpanSeen::from));
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

impl Receiver {
    /// Serves OTLP on a free port of its own; its endpoint.
    async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let server = tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(self.clone()))
            .serve_with_incoming(TcpListenerStream::new(listener));
        tokio::spawn(server);
        endpoint
    }

    /// Stops `process` gracefully (which flushes its spans) and returns what it exported.
    fn spans_after_stopping(&self, process: ServiceProcess) -> Vec<SpanSeen> {
        assert!(process.terminate().success());
        self.spans.lock().unwrap().clone()
    }
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID: &str = "00f067aa0ba902b7";

fn traceparent() -> tonic::metadata::MetadataValue<tonic::metadata::Ascii> {
    format!("00-{TRACE_ID}-{CALLER_SPAN_ID}-01")
        .parse()
        .unwrap()
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rpc_span_reaches_the_otlp_receiver_in_the_callers_trace() {
    let receiver = Receiver::default();
    let endpoint = receiver.start().await;

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
    request.metadata_mut().insert("traceparent", traceparent());
    client.list_platforms(request).await.unwrap();
    drop(client);

    let spans = receiver.spans_after_stopping(process);
    let trace_id = hex_bytes(TRACE_ID);
    assert!(
        spans
            .iter()
            .any(|s| s.trace_id == trace_id && s.name.ends_with("ListPlatforms")),
        "{spans:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_message_reaches_slack_in_the_trace_of_the_call_that_sent_it() {
    let receiver = Receiver::default();
    let endpoint = receiver.start().await;
    let (app, db_url) = app_without_workers().await;
    let ws = app.create_workspace("W").await;
    let (integration, _) = ready_integration(&app, "team-1", &ws).await;
    let process =
        start_service_with(&app, &db_url, &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)]).await;

    // The service's own workers deliver it, in the trace of this call.
    let mut client = MessagingServiceClient::connect(process.grpc_addr.clone())
        .await
        .unwrap();
    let mut request = service(send_request(&integration, "traced", "hello", true));
    request.metadata_mut().insert("traceparent", traceparent());
    let delivery = client.send_message(request).await.unwrap().into_inner();
    drop(client);
    assert_eq!(delivery.state(), v1::DeliveryState::Sent);

    let spans = receiver.spans_after_stopping(process);
    let in_trace: Vec<SpanSeen> = spans
        .into_iter()
        .filter(|s| s.trace_id == hex_bytes(TRACE_ID))
        .collect();
    let named = |pick: &dyn Fn(&SpanSeen) -> bool| {
        in_trace
            .iter()
            .find(|s| pick(s))
            .unwrap_or_else(|| panic!("a span is missing from the trace: {in_trace:#?}"))
    };
    // caller -> rpc -> core.send_message -> store.enqueue_post (the one statement that
    // checks the integration and queues the post), and, later, -> delivery_attempt ->
    // slack.call chat.postMessage.
    let rpc = named(&|s| s.name.ends_with("SendMessage"));
    assert_eq!(rpc.parent_span_id, hex_bytes(CALLER_SPAN_ID));
    let use_case = named(&|s| s.name == "core.send_message");
    assert_eq!(use_case.parent_span_id, rpc.span_id);
    let enqueue = named(&|s| s.name == "store.enqueue_post");
    assert_eq!(enqueue.parent_span_id, use_case.span_id);
    let attempt = named(&|s| s.name == "delivery_attempt");
    assert_eq!(attempt.parent_span_id, use_case.span_id);
    let post = named(&|s| {
        s.name == "slack.call"
            && s.attributes.get("slack.method").map(String::as_str) == Some("chat.postMessage")
    });
    assert_eq!(post.parent_span_id, attempt.span_id);
    assert_eq!(
        post.attributes.get("outcome").map(String::as_str),
        Some("ok")
    );
}
