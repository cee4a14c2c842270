//! Prometheus metrics, served at `GET /metrics`. One registry per process.

use std::{
    collections::HashSet,
    future::Future,
    pin::Pin,
    sync::LazyLock,
    task::{Context, Poll},
    time::Instant,
};

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use prost::Message;

/// The label of every path no service serves.
pub const UNKNOWN_METHOD: &str = "unknown";

/// Every `/package.Service/Method` this server answers, from the descriptors it serves.
static METHODS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    [
        crate::proto::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
    ]
    .into_iter()
    .filter_map(|set| prost_types::FileDescriptorSet::decode(set).ok())
    .flat_map(|set| set.file)
    .flat_map(|file| {
        let package = file.package().to_owned();
        file.service.into_iter().flat_map(move |service| {
            let prefix = format!("/{package}.{}/", service.name());
            service
                .method
                .into_iter()
                .map(move |method| format!("{prefix}{}", method.name()))
        })
    })
    .collect()
});

/// The metric label of a request path: the method, or [`UNKNOWN_METHOD`].
pub fn method_label(path: &str) -> &'static str {
    METHODS.get(path).map_or(UNKNOWN_METHOD, String::as_str)
}

pub struct Metrics {
    registry: Registry,
    pub rpc_requests: IntCounterVec,
    pub rpc_latency: HistogramVec,
    pub deliveries: IntCounterVec,
    pub attempts: IntCounterVec,
    pub queue_depth: IntGauge,
    pub duplicate_connection_attempts: IntCounter,
    pub token_refreshes: IntCounterVec,
    pub slack_events: IntCounterVec,
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("registered once");
    metric
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new();
    let rpc_latency = HistogramVec::new(
        HistogramOpts::new(
            "switchboard_rpc_duration_seconds",
            "gRPC call latency by method",
        )
        .buckets(vec![
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        ]),
        &["method"],
    )
    .expect("valid metric");
    registry
        .register(Box::new(rpc_latency.clone()))
        .expect("registered once");
    let queue_depth = IntGauge::new(
        "switchboard_queue_depth",
        "Deliveries queued or retrying (all replicas)",
    )
    .expect("valid metric");
    registry
        .register(Box::new(queue_depth.clone()))
        .expect("registered once");
    let duplicate_connection_attempts = IntCounter::new(
        "switchboard_duplicate_connection_attempts_total",
        "Installs of a workspace the team already had",
    )
    .expect("valid metric");
    registry
        .register(Box::new(duplicate_connection_attempts.clone()))
        .expect("registered once");
    Metrics {
        rpc_requests: counter(
            &registry,
            "switchboard_rpc_requests_total",
            "gRPC calls by method and status code",
            &["method", "code"],
        ),
        rpc_latency,
        deliveries: counter(
            &registry,
            "switchboard_deliveries_total",
            "Deliveries reaching a state",
            &["state"],
        ),
        attempts: counter(
            &registry,
            "switchboard_delivery_attempts_total",
            "Calls to Slack for deliveries by outcome and Slack error",
            &["outcome", "error"],
        ),
        queue_depth,
        duplicate_connection_attempts,
        token_refreshes: counter(
            &registry,
            "switchboard_token_refreshes_total",
            "Token refreshes by result",
            &["result"],
        ),
        slack_events: counter(
            &registry,
            "switchboard_slack_events_total",
            "Slack Events API events by type",
            &["type"],
        ),
        registry,
    }
});

pub fn metrics() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    /// The text exposition format.
    pub fn render(&self) -> String {
        encode(&self.registry)
    }
}

fn encode(registry: &Registry) -> String {
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&registry.gather(), &mut out)
        .expect("text encoding of gathered metrics");
    String::from_utf8(out).unwrap_or_default()
}

/// Figures of the whole deployment, read from Postgres for one scrape.
pub struct DeploymentFigures<'a> {
    /// How long the most overdue waiting delivery has been due.
    pub oldest_due_seconds: f64,
    /// Integrations per status name.
    pub integrations: &'a [(&'a str, i64)],
    /// Webhook subscriptions per state.
    pub webhook_subscriptions: &'a [(&'a str, i64)],
}

/// The deployment's figures in the text format, from a registry of this scrape's own: they
/// describe the database, not this process, so no process-wide gauge keeps an older
/// scrape's value (two scrapes at once cannot mix).
pub fn render_deployment(figures: &DeploymentFigures<'_>) -> String {
    let registry = Registry::new();
    let oldest = prometheus::Gauge::new(
        "switchboard_queue_oldest_due_seconds",
        "How long the most overdue waiting delivery has been due (all replicas)",
    )
    .expect("valid metric");
    oldest.set(figures.oldest_due_seconds);
    registry
        .register(Box::new(oldest))
        .expect("registered once");
    for (name, help, labels, counts) in [
        (
            "switchboard_integrations",
            "Integrations by status (all replicas)",
            &["status"],
            figures.integrations,
        ),
        (
            "switchboard_webhook_subscriptions",
            "Webhook subscriptions by state (all replicas)",
            &["state"],
            figures.webhook_subscriptions,
        ),
    ] {
        let gauge =
            prometheus::IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
        for (value, count) in counts {
            gauge.with_label_values(&[*value]).set(*count);
        }
        registry.register(Box::new(gauge)).expect("registered once");
    }
    encode(&registry)
}

/// A tower layer counting gRPC calls by method and status, with their latency.
#[derive(Clone, Copy, Default)]
pub struct RpcMetricsLayer;

impl<S> tower::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics { inner }
    }
}

#[derive(Clone)]
pub struct RpcMetrics<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, R> tower::Service<http::Request<B>> for RpcMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>> + Send,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // Only methods the server serves become labels: a caller cannot create series.
        let method = method_label(request.uri().path());
        let started = Instant::now();
        let call = self.inner.call(request);
        Box::pin(async move {
            let response = call.await?;
            // A failed unary call answers "trailers-only": its status is in the headers.
            let code = response
                .headers()
                .get("grpc-status")
                .and_then(|v| v.to_str().ok())
                .map(|code| tonic::Code::from(code.parse::<i32>().unwrap_or(2)))
                .unwrap_or(tonic::Code::Ok);
            let m = metrics();
            m.rpc_requests
                .with_label_values(&[method, code_name(code)])
                .inc();
            m.rpc_latency
                .with_label_values(&[method])
                .observe(started.elapsed().as_secs_f64());
            Ok(response)
        })
    }
}

/// The status code's name, as gRPC spells it in its docs (and tonic's `Debug`).
fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "Ok",
        Cancelled => "Cancelled",
        Unknown => "Unknown",
        InvalidArgument => "InvalidArgument",
        DeadlineExceeded => "DeadlineExceeded",
        NotFound => "NotFound",
        AlreadyExists => "AlreadyExists",
        PermissionDenied => "PermissionDenied",
        ResourceExhausted => "ResourceExhausted",
        FailedPrecondition => "FailedPrecondition",
        Aborted => "Aborted",
        OutOfRange => "OutOfRange",
        Unimplemented => "Unimplemented",
        Internal => "Internal",
        Unavailable => "Unavailable",
        DataLoss => "DataLoss",
        Unauthenticated => "Unauthenticated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_the_served_methods_or_unknown() {
        for known in [
            "/switchboard.v1.MessagingService/SendMessage",
            "/switchboard.v1.IntegrationService/ListIntegrations",
            "/grpc.health.v1.Health/Check",
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        ] {
            assert_eq!(method_label(known), known);
        }
        for unknown in [
            "/switchboard.v1.MessagingService/Nope",
            "/evil/x",
            "",
            "/switchboard.v1.MessagingService/SendMessage/",
        ] {
            assert_eq!(method_label(unknown), UNKNOWN_METHOD);
        }
    }
}
