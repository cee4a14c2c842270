//! The one place that wires the service together: the use cases (`core`), the delivery
//! engine beside them, the periodic sweeps, and the servers: gRPC (services, health,
//! reflection, limits) and HTTP, both bound before `run_until_stopped` so tests can bind
//! port 0 and read the port.

use std::{
    convert::Infallible, future::Future, net::SocketAddr, pin::Pin, sync::Arc, time::Duration,
};

use axum::{http::Request, response::IntoResponse};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{
    body::Body,
    server::NamedService,
    service::{RoutesBuilder, interceptor::InterceptedService},
};
use tonic_health::{ServingStatus, server::HealthReporter};
use tower::Service;

use crate::{
    api::{
        Authenticator, ChannelApi, EventApi, IntegrationApi, MAX_BATCH_REQUEST_BYTES,
        MAX_REQUEST_BYTES, MessagingApi, MonitoringApi, RequestLimitLayer,
    },
    config::{AuthConfig, Config},
    core::{Core, EventBell, TokenRefresher},
    crypto::TokenCipher,
    delivery::{Engine, RefreshError, TokenRefresh},
    domain::{IntegrationId, Refreshed},
    proto::{
        FILE_DESCRIPTOR_SET,
        v1::{
            channel_service_server::ChannelServiceServer, event_service_server::EventServiceServer,
            integration_service_server::IntegrationServiceServer,
            messaging_service_server::MessagingServiceServer,
            monitoring_service_server::MonitoringServiceServer,
        },
    },
    slack::SlackClient,
    store::Store,
};

/// Concurrent requests per client connection before callers queue.
const MAX_CONCURRENT_PER_CONNECTION: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Database(#[from] crate::store::StoreError),
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("gRPC server: {0}")]
    Grpc(#[from] tonic::transport::Error),
    #[error("HTTP server: {0}")]
    Http(std::io::Error),
}

pub struct Application {
    config: Config,
    store: Store,
    grpc_listener: TcpListener,
    http_listener: TcpListener,
    admin_listener: Option<TcpListener>,
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let store = Store::connect_lazy(
            secrecy::ExposeSecret::expose_secret(&config.database.url),
            config.database.max_connections,
        )?;
        Self::build_with_store(config, store).await
    }

    /// For tests and tools that bring their own pool.
    pub async fn build_with_store(config: Config, store: Store) -> Result<Self, StartupError> {
        let grpc_listener = bind(config.http.grpc_addr).await?;
        let http_listener = bind(config.http.http_addr).await?;
        let admin_listener = match config.http.admin_addr {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        Ok(Self {
            config,
            store,
            grpc_listener,
            http_listener,
            admin_listener,
        })
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_listener.local_addr().expect("bound listener")
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.http_listener.local_addr().expect("bound listener")
    }

    /// Where probes and metrics are served, when not on the HTTP port.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin_listener
            .as_ref()
            .map(|l| l.local_addr().expect("bound listener"))
    }

    /// Serves until `shutdown` completes, then stops taking calls and lets in-flight ones
    /// finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let (grpc_addr, http_addr, admin_addr) =
            (self.grpc_addr(), self.http_addr(), self.admin_addr());
        let Self {
            config,
            store,
            grpc_listener,
            http_listener,
            admin_listener,
        } = self;
        if matches!(config.auth, AuthConfig::Disabled) {
            tracing::warn!(
                "SWITCHBOARD_AUTH=disabled: every caller has full access. Local development only!"
            );
        }
        let (stop_tx, stop) = watch::channel(false);
        let slack = SlackClient::new(
            config.slack.api_base_url.clone(),
            config.slack.request_timeout,
        );
        let cipher = token_cipher(&config.token_keys);
        let core = Core::new(&config, store.clone(), slack.clone(), cipher.clone());

        // What runs: the periodic sweeps, the webhook dispatchers, the delivery workers, the
        // gRPC server and the HTTP server(s).
        let sweeps = spawn_sweeps(&config, &core, &stop);
        let webhooks = config.webhooks.enabled.then(|| {
            let body: crate::webhooks::BodyFn = Arc::new(crate::api::event_json);
            let engine = crate::webhooks::Engine::new(
                store.clone(),
                cipher.clone(),
                body,
                config.webhooks.clone(),
            );
            tokio::spawn(crate::webhooks::run(engine, stop.clone()))
        });
        let workers = config.delivery.enabled.then(|| {
            let engine = Engine::new(
                store.clone(),
                slack,
                cipher,
                Arc::new(core.token_refresher()),
                config.delivery.clone(),
            );
            tokio::spawn(crate::delivery::run(engine, stop.clone()))
        });
        let (grpc, health) =
            grpc_server(&config, &core, store.clone(), grpc_listener, &stop).await?;
        let http = http_servers(
            &config,
            core.clone(),
            store,
            http_listener,
            admin_listener,
            &stop,
        );

        tracing::info!(%grpc_addr, %http_addr, ?admin_addr, "switchboard serving");
        let signal = tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight calls");
            health
                .set_service_status("", ServingStatus::NotServing)
                .await;
            let _ = stop_tx.send(true);
        });
        let (grpc, http) = tokio::join!(grpc, http);
        signal.abort();
        for sweep in sweeps {
            sweep.abort();
        }
        // In-flight calls are done; let the workers finish their attempts.
        if let Some(workers) = workers
            && let Err(err) = workers.await
        {
            tracing::error!(error = %err, "delivery workers ended abnormally");
        }
        if let Some(webhooks) = webhooks
            && let Err(err) = webhooks.await
        {
            tracing::error!(error = %err, "webhook dispatcher ended abnormally");
        }
        grpc?;
        http.map_err(StartupError::Http)?;
        tracing::info!("switchboard stopped");
        Ok(())
    }
}

/// The delivery engine refreshes tokens through the use case in `core`.
impl TokenRefresh for TokenRefresher {
    fn refresh<'a>(
        &'a self,
        id: IntegrationId,
        stale_access_enc: Option<&'a [u8]>,
    ) -> Pin<Box<dyn Future<Output = Result<Refreshed, RefreshError>> + Send + 'a>> {
        Box::pin(async move {
            TokenRefresher::refresh(self, id, stale_access_enc)
                .await
                .map_err(RefreshError::from)
        })
    }
}

/// Completes once `stop` turns true (or its sender is gone).
/// The cipher of the configured token keys: the single key seals as before key rotation.
pub fn token_cipher(keys: &crate::config::TokenKeys) -> TokenCipher {
    match keys.keys.as_slice() {
        [(_, key)] if keys.legacy => TokenCipher::new(&key.0),
        listed => TokenCipher::with_keys(listed.iter().map(|(id, key)| (id.as_str(), &key.0))),
    }
}

/// `switchboard rotate-keys`: re-seals every stored value under the first of `keys`,
/// `batch` rows per transaction, telling `progress` after each batch.
pub async fn rotate_keys(
    database: &crate::config::DatabaseConfig,
    keys: &crate::config::TokenKeys,
    batch: i64,
    progress: impl FnMut(crate::store::SealedKind, &crate::core::rekey::RekeyReport),
) -> Result<crate::core::rekey::RekeyReport, String> {
    use secrecy::ExposeSecret;
    let store = Store::connect_lazy(database.url.expose_secret(), 2)
        .map_err(|e| format!("database: {e}"))?;
    crate::core::rekey::rotate_keys(&store, &token_cipher(keys), batch, progress)
        .await
        .map_err(|e| format!("rotation failed: {e}"))
}

fn stopped(stop: &watch::Receiver<bool>) -> impl Future<Output = ()> + use<> {
    let mut stop = stop.clone();
    async move {
        let _ = stop.wait_for(|stop| *stop).await;
    }
}

/// The periodic sweeps: integration health checks, token refreshes, expired reconnect
/// tokens (token business too, so swept as often as refreshes), channel directory
/// listings, and old history.
fn spawn_sweeps(config: &Config, core: &Core, stop: &watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let health_checks = config.health_check_interval.map(|every| {
        tokio::spawn(crate::core::run_health_checks(
            core.clone(),
            every,
            stop.clone(),
        ))
    });
    let refreshes = config
        .token_refresh_interval
        .map(|every| tokio::spawn(core.token_refresher().run(every, stop.clone())));
    let expired_reconnects = config.token_refresh_interval.map(|every| {
        tokio::spawn(crate::core::run_reconnect_sweep(
            core.clone(),
            every,
            stop.clone(),
        ))
    });
    let retention = config.retention.sweep_every.map(|every| {
        let keep = crate::core::Retention {
            events: config.events.retention,
            deliveries: config.retention.deliveries,
        };
        tokio::spawn(crate::core::run_retention(
            core.clone(),
            keep,
            every,
            stop.clone(),
        ))
    });
    let channel_directory = config.channel_directory_refresh.map(|every| {
        tokio::spawn(crate::core::run_channel_directory(
            core.clone(),
            every,
            stop.clone(),
        ))
    });
    [
        health_checks,
        refreshes,
        expired_reconnects,
        channel_directory,
        retention,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The gRPC services, each added through [`GrpcServices::add`]; health and reflection
/// answer without credentials.
async fn grpc_server(
    config: &Config,
    core: &Core,
    store: Store,
    listener: TcpListener,
    stop: &watch::Receiver<bool>,
) -> Result<
    (
        impl Future<Output = Result<(), tonic::transport::Error>>,
        HealthReporter,
    ),
    StartupError,
> {
    let (health, health_service) = tonic_health::server::health_reporter();
    let mut services = GrpcServices {
        routes: RoutesBuilder::default(),
        health: health.clone(),
        auth: Authenticator::new(&config.auth),
    };
    services
        .add(
            IntegrationServiceServer::new(IntegrationApi::new(core.clone()))
                .max_decoding_message_size(MAX_REQUEST_BYTES),
        )
        .await;
    services
        .add(
            ChannelServiceServer::new(ChannelApi::new(core.clone()))
                .max_decoding_message_size(MAX_REQUEST_BYTES),
        )
        .await;
    services
        .add(
            MessagingServiceServer::new(MessagingApi::new(
                core.clone(),
                config.http.request_timeout,
            ))
            .max_decoding_message_size(MAX_BATCH_REQUEST_BYTES),
        )
        .await;
    services
        .add(
            MonitoringServiceServer::new(MonitoringApi::new(core.clone()))
                .max_decoding_message_size(MAX_REQUEST_BYTES),
        )
        .await;
    services
        .add(
            // Streams end when the service stops, so shutdown never waits on a follower.
            EventServiceServer::new(EventApi::new(
                core.clone(),
                EventBell::start(store),
                stop.clone(),
            ))
            .max_decoding_message_size(MAX_REQUEST_BYTES),
        )
        .await;
    health.set_service_status("", ServingStatus::Serving).await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            // google.rpc error details, so grpcurl can print ErrorInfo and friends.
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
    };
    let server = tonic::transport::Server::builder()
        .timeout(config.http.request_timeout)
        .concurrency_limit_per_connection(MAX_CONCURRENT_PER_CONNECTION)
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .trace_fn(crate::telemetry::rpc_span)
        .layer(crate::metrics::RpcMetricsLayer)
        // Per-method request limits, refused before a body is buffered (the services'
        // own decoding limits are the backstop).
        .layer(RequestLimitLayer)
        .layer(crate::deadline::DeadlineLayer::new(
            config.http.request_timeout,
        ))
        .add_routes(services.routes.routes())
        .add_service(health_service)
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stopped(stop));
    Ok((server, health))
}

/// Where every gRPC service of ours goes in: behind authentication (and with the request
/// size limit its caller set), and reported SERVING under its own name.
struct GrpcServices {
    routes: RoutesBuilder,
    health: HealthReporter,
    auth: Authenticator,
}

type Authenticated<S> = InterceptedService<S, Authenticator>;

impl GrpcServices {
    async fn add<S>(&mut self, server: S)
    where
        S: NamedService,
        Authenticated<S>: Service<Request<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        <Authenticated<S> as Service<Request<Body>>>::Response: IntoResponse,
        <Authenticated<S> as Service<Request<Body>>>::Future: Send + 'static,
    {
        self.health.set_serving::<S>().await;
        self.routes
            .add_service(InterceptedService::new(server, self.auth.clone()));
    }
}

/// Slack's events on the HTTP port; probes and metrics there too, or on the admin port
/// when one is configured.
fn http_servers(
    config: &Config,
    core: Core,
    store: Store,
    http_listener: TcpListener,
    admin_listener: Option<TcpListener>,
    stop: &watch::Receiver<bool>,
) -> impl Future<Output = std::io::Result<()>> + use<> {
    let signature = config
        .slack
        .signing_secret
        .clone()
        .map(crate::slack::SignatureVerifier::new);
    if signature.is_none() {
        tracing::warn!("SLACK_SIGNING_SECRET is not set: POST /slack/events refuses every event");
    }
    let limits = config.http.limits;
    let routers = crate::http::routers(core, store, signature, limits);
    let (public, admin) = match admin_listener {
        Some(listener) => (
            routers.public,
            Some(crate::http::serve(
                listener,
                (routers.admin, routers.refusals.clone()),
                limits,
                stopped(stop),
            )),
        ),
        None => (routers.public.merge(routers.admin), None),
    };
    let http = crate::http::serve(
        http_listener,
        (public, routers.refusals),
        limits,
        stopped(stop),
    );
    async move {
        let admin = async move {
            match admin {
                Some(admin) => admin.await,
                None => Ok(()),
            }
        };
        let (http, admin) = tokio::join!(http, admin);
        http.and(admin)
    }
}
