//! The one place that builds the servers: gRPC (services, health, reflection, limits) and
//! HTTP, both bound before `run_until_stopped` so tests can bind port 0 and read the port.

use std::{future::Future, net::SocketAddr, time::Duration};

use tokio::{net::TcpListener, sync::watch};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::service::interceptor::InterceptedService;
use tonic_health::ServingStatus;

use crate::{
    api::{
        Authenticator, ChannelApi, EventApi, IntegrationApi, MAX_BATCH_REQUEST_BYTES,
        MAX_REQUEST_BYTES, MessagingApi, MonitoringApi, RequestLimitLayer,
    },
    config::{AuthConfig, Config},
    core::{Core, EventBell},
    proto::{
        FILE_DESCRIPTOR_SET,
        v1::{
            channel_service_server::ChannelServiceServer, event_service_server::EventServiceServer,
            integration_service_server::IntegrationServiceServer,
            messaging_service_server::MessagingServiceServer,
            monitoring_service_server::MonitoringServiceServer,
        },
    },
    store::Store,
};

/// Concurrent requests per client connection before callers queue.
const MAX_CONCURRENT_PER_CONNECTION: usize = 256;
/// How often old events are removed from the log.
const EVENT_RETENTION_SWEEP: Duration = Duration::from_secs(3600);

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
        let grpc_listener = bind(config.grpc_addr).await?;
        let http_listener = bind(config.http_addr).await?;
        let admin_listener = match config.admin_addr {
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
        if matches!(self.config.auth, AuthConfig::Disabled) {
            tracing::warn!(
                "SWITCHBOARD_AUTH=disabled: every caller has full access. Local development only!"
            );
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let stop_rx_for_workers = stop_rx.clone();
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        };

        let core = Core::new(&self.config, self.store.clone());
        let auth = Authenticator::new(&self.config.auth);
        let integrations = InterceptedService::new(
            IntegrationServiceServer::new(IntegrationApi::new(core.clone()))
                .max_decoding_message_size(MAX_REQUEST_BYTES),
            auth.clone(),
        );
        let channels = InterceptedService::new(
            ChannelServiceServer::new(ChannelApi::new(core.clone()))
                .max_decoding_message_size(MAX_REQUEST_BYTES),
            auth.clone(),
        );
        let messaging = InterceptedService::new(
            MessagingServiceServer::new(MessagingApi::new(
                core.clone(),
                self.config.request_timeout,
            ))
            .max_decoding_message_size(MAX_BATCH_REQUEST_BYTES),
            auth.clone(),
        );
        let monitoring = InterceptedService::new(
            MonitoringServiceServer::new(MonitoringApi::new(core.clone()))
                .max_decoding_message_size(MAX_REQUEST_BYTES),
            auth.clone(),
        );
        let events = InterceptedService::new(
            EventServiceServer::new(EventApi::new(
                core.clone(),
                EventBell::start(self.store.clone()),
                stop_rx_for_workers.clone(),
            ))
            .max_decoding_message_size(MAX_REQUEST_BYTES),
            auth.clone(),
        );
        let event_retention = tokio::spawn(crate::core::run_event_retention(
            core.clone(),
            self.config.event_retention,
            EVENT_RETENTION_SWEEP,
            stop_rx_for_workers.clone(),
        ));
        let health_checks = self.config.health_check_interval.map(|every| {
            tokio::spawn(crate::core::run_health_checks(
                core.clone(),
                every,
                stop_rx_for_workers.clone(),
            ))
        });
        let refreshes = self.config.token_refresh_interval.map(|every| {
            tokio::spawn(
                core.token_refresher()
                    .run(every, stop_rx_for_workers.clone()),
            )
        });
        // Unused reconnect tokens are token business too: swept as often as refreshes.
        let expired_reconnects = self.config.token_refresh_interval.map(|every| {
            tokio::spawn(crate::core::run_reconnect_sweep(
                core.clone(),
                every,
                stop_rx_for_workers.clone(),
            ))
        });
        let workers = self.config.delivery.enabled.then(|| {
            tokio::spawn(crate::delivery::run(
                core.delivery_engine(self.config.delivery.clone()),
                stop_rx_for_workers.clone(),
            ))
        });

        let (health, health_service) = tonic_health::server::health_reporter();
        health
            .set_serving::<IntegrationServiceServer<IntegrationApi>>()
            .await;
        health
            .set_serving::<ChannelServiceServer<ChannelApi>>()
            .await;
        health.set_service_status("", ServingStatus::Serving).await;
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                // google.rpc error details, so grpcurl can print ErrorInfo and friends.
                .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        };

        let (grpc_addr, http_addr, admin_addr) =
            (self.grpc_addr(), self.http_addr(), self.admin_addr());
        let grpc = tonic::transport::Server::builder()
            .timeout(self.config.request_timeout)
            .concurrency_limit_per_connection(MAX_CONCURRENT_PER_CONNECTION)
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .trace_fn(crate::telemetry::rpc_span)
            .layer(crate::metrics::RpcMetricsLayer)
            // Per-method request limits, refused before a body is buffered (the services'
            // own decoding limits are the backstop).
            .layer(RequestLimitLayer)
            .layer(crate::deadline::DeadlineLayer::new(
                self.config.request_timeout,
            ))
            .add_service(health_service)
            .add_service(reflection().build_v1()?)
            .add_service(reflection().build_v1alpha()?)
            .add_service(integrations)
            .add_service(channels)
            .add_service(messaging)
            .add_service(monitoring)
            .add_service(events)
            .serve_with_incoming_shutdown(TcpListenerStream::new(self.grpc_listener), stopped());

        let signature = self
            .config
            .slack
            .signing_secret
            .clone()
            .map(crate::slack::SignatureVerifier::new);
        if signature.is_none() {
            tracing::warn!(
                "SLACK_SIGNING_SECRET is not set: POST /slack/events refuses every event"
            );
        }
        let limits = self.config.http_limits;
        let routers = crate::http::routers(core.clone(), signature, limits);
        let (public, admin) = match self.admin_listener {
            Some(listener) => (
                routers.public,
                Some(crate::http::serve(
                    listener,
                    (routers.admin, routers.refusals.clone()),
                    limits,
                    stopped(),
                )),
            ),
            None => (routers.public.merge(routers.admin), None),
        };
        let http = crate::http::serve(
            self.http_listener,
            (public, routers.refusals),
            limits,
            stopped(),
        );
        let admin = async move {
            match admin {
                Some(admin) => admin.await,
                None => Ok(()),
            }
        };

        tracing::info!(%grpc_addr, %http_addr, ?admin_addr, "switchboard serving");
        let signal = tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight calls");
            health
                .set_service_status("", ServingStatus::NotServing)
                .await;
            let _ = stop_tx.send(true);
        });
        let (grpc, http, admin) = tokio::join!(grpc, http, admin);
        signal.abort();
        event_retention.abort();
        for sweep in [health_checks, refreshes, expired_reconnects]
            .into_iter()
            .flatten()
        {
            sweep.abort();
        }
        // In-flight calls are done; let the workers finish their attempts.
        if let Some(workers) = workers
            && let Err(err) = workers.await
        {
            tracing::error!(error = %err, "delivery workers ended abnormally");
        }
        grpc?;
        http.and(admin).map_err(StartupError::Http)?;
        tracing::info!("switchboard stopped");
        Ok(())
    }
}
