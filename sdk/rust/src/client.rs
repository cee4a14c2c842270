//! Building a [`Client`]: the channel, its retry layer and the auth interceptor.

use std::time::Duration;

use tonic::{
    metadata::AsciiMetadataValue,
    service::interceptor::InterceptedService,
    transport::{Channel, ClientTlsConfig, Endpoint},
};

use crate::{
    proto::v1::{
        channel_service_client::ChannelServiceClient,
        integration_service_client::IntegrationServiceClient,
        messaging_service_client::MessagingServiceClient,
        monitoring_service_client::MonitoringServiceClient,
    },
    retry::{RetryPolicy, Retrying},
};

/// What the generated clients of a [`Client`] run on.
pub type Transport = InterceptedService<Retrying<Channel>, AuthInterceptor>;

/// Adds the credential and the default deadline to every call.
#[derive(Clone)]
pub struct AuthInterceptor {
    authorization: Option<AsciiMetadataValue>,
    timeout: Duration,
}

impl tonic::service::Interceptor for AuthInterceptor {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.authorization {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        // A deadline the caller set on the request wins.
        if !request.metadata().contains_key("grpc-timeout") {
            request.set_timeout(self.timeout);
        }
        Ok(request)
    }
}

/// Settings of a [`Client`]; `Client::builder(address)` starts one.
#[must_use]
pub struct ClientBuilder {
    address: String,
    credential: Option<String>,
    tls: Option<ClientTlsConfig>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
}

impl ClientBuilder {
    /// A service key (full access) or a team JWT (that team only).
    pub fn credential(mut self, credential: impl Into<String>) -> Self {
        self.credential = Some(credential.into());
        self
    }

    /// TLS with the given settings (server name, roots). An `https://` address without it
    /// uses the bundled web PKI roots.
    pub fn tls(mut self, tls: ClientTlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The deadline of a call that sets none itself (30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How `UNAVAILABLE` is retried (`RetryPolicy::none()` turns retries off).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    fn endpoint(&self) -> Result<Endpoint, crate::Error> {
        let address = if self.address.contains("://") {
            self.address.clone()
        } else {
            format!("http://{}", self.address)
        };
        let mut endpoint = Endpoint::from_shared(address)
            .map_err(crate::Error::transport)?
            .connect_timeout(self.connect_timeout);
        let tls = match (&self.tls, endpoint.uri().scheme_str()) {
            (Some(tls), _) => Some(tls.clone()),
            (None, Some("https")) => Some(ClientTlsConfig::new().with_webpki_roots()),
            _ => None,
        };
        if let Some(tls) = tls {
            endpoint = endpoint.tls_config(tls).map_err(crate::Error::transport)?;
        }
        Ok(endpoint)
    }

    fn assemble(self, channel: Channel) -> Result<Client, crate::Error> {
        let authorization = match &self.credential {
            Some(credential) => Some(
                format!("Bearer {credential}")
                    .parse()
                    .map_err(|_| crate::Error::invalid_credential())?,
            ),
            None => None,
        };
        Ok(Client {
            transport: InterceptedService::new(
                Retrying::new(channel, self.retry),
                AuthInterceptor {
                    authorization,
                    timeout: self.timeout,
                },
            ),
        })
    }

    /// Connects now; fails when the address cannot be reached.
    pub async fn connect(self) -> Result<Client, crate::Error> {
        let channel = self
            .endpoint()?
            .connect()
            .await
            .map_err(crate::Error::transport)?;
        self.assemble(channel)
    }

    /// Connects on the first call (and again after the connection is lost).
    pub fn connect_lazy(self) -> Result<Client, crate::Error> {
        let channel = self.endpoint()?.connect_lazy();
        self.assemble(channel)
    }
}

/// A connection to switchboard. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct Client {
    pub(crate) transport: Transport,
}

impl Client {
    /// `address` is `host:port` (plaintext) or an `http://` / `https://` URL.
    pub fn builder(address: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            address: address.into(),
            credential: None,
            tls: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
        }
    }

    pub fn integrations(&self) -> IntegrationServiceClient<Transport> {
        IntegrationServiceClient::new(self.transport.clone())
    }

    pub fn channels(&self) -> ChannelServiceClient<Transport> {
        ChannelServiceClient::new(self.transport.clone())
    }

    pub fn messaging(&self) -> MessagingServiceClient<Transport> {
        MessagingServiceClient::new(self.transport.clone())
    }

    pub fn monitoring(&self) -> MonitoringServiceClient<Transport> {
        MonitoringServiceClient::new(self.transport.clone())
    }
}
