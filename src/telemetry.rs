//! Logging (human-readable or JSON lines, filtered by `RUST_LOG`) and, when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, OpenTelemetry traces exported over OTLP/gRPC with
//! W3C trace context taken from incoming calls and kept with the deliveries they queue.

use std::collections::HashMap;

use opentelemetry::{
    global,
    propagation::{Extractor, TextMapPropagator},
    trace::TracerProvider as _,
};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

/// Flushes exported spans when the service stops.
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(err) = provider.shutdown()
        {
            eprintln!("switchboard: flushing traces failed: {err}");
        }
    }
}

/// Installs the global subscriber. Safe to call more than once (tests do): later calls
/// are ignored. Must run inside the Tokio runtime when `otlp_endpoint` is given.
pub fn init(filter: &str, format: LogFormat, otlp_endpoint: Option<&str>) -> TelemetryGuard {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let provider = otlp_endpoint.and_then(|endpoint| match tracer_provider(endpoint) {
        Ok(provider) => Some(provider),
        Err(err) => {
            eprintln!("switchboard: OTLP export disabled: {err}");
            None
        }
    });
    // Traces do not depend on how verbose the logs are: each layer has its own filter.
    let otel = provider.as_ref().map(|provider| {
        global::set_text_map_propagator(TraceContextPropagator::new());
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("switchboard"))
            .with_filter(EnvFilter::new("switchboard=info"))
    });
    let logs = match format {
        LogFormat::Human => fmt::layer().with_target(false).boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .with(otel)
        .try_init();
    TelemetryGuard { provider }
}

fn tracer_provider(
    endpoint: &str,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("switchboard")
                .build(),
        )
        .build())
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// The span of one gRPC call, continuing the caller's trace (W3C `traceparent`).
pub fn rpc_span(request: &http::Request<()>) -> tracing::Span {
    let method = request.uri().path();
    let span =
        tracing::info_span!("rpc", otel.name = %method, otel.kind = "server", rpc.system = "grpc");
    let parent =
        global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(request.headers())));
    let _ = span.set_parent(parent);
    span
}

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";

/// A span's W3C trace context (`traceparent`, and `tracestate` when the trace has one),
/// kept with work that outlives the span, such as a queued delivery, so that the work
/// continues the same trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    pub traceparent: String,
    pub tracestate: Option<String>,
}

impl TraceContext {
    /// The context of the current span; `None` when no trace is being recorded (traces are
    /// not exported, or the work runs outside any span).
    pub fn current() -> Option<Self> {
        let mut headers = HashMap::new();
        TraceContextPropagator::new()
            .inject_context(&tracing::Span::current().context(), &mut headers);
        Some(Self {
            traceparent: headers.remove(TRACEPARENT)?,
            tracestate: headers.remove(TRACESTATE).filter(|s| !s.is_empty()),
        })
    }

    /// Makes `span` a child of the span this context was taken from. A context that does
    /// not parse leaves `span` starting a trace of its own.
    pub fn adopt(&self, span: &tracing::Span) {
        let mut headers = HashMap::from([(TRACEPARENT.to_owned(), self.traceparent.clone())]);
        if let Some(state) = &self.tracestate {
            headers.insert(TRACESTATE.to_owned(), state.clone());
        }
        let parent = TraceContextPropagator::new().extract(&headers);
        let _ = span.set_parent(parent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_recorded_trace_there_is_no_context_to_keep() {
        assert_eq!(TraceContext::current(), None);
    }
}
