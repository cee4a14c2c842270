//! One signed POST to a subscriber. The HTTP client resolves names itself and drops
//! forbidden addresses (unless private targets are allowed), so a public name that
//! resolves, or later rebinds, to 127.0.0.1 or 10.x is never reached; redirects are not
//! followed, since one could point anywhere.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use secrecy::{ExposeSecret, SecretString};

use crate::domain::webhook::is_forbidden;

/// Why a delivery did not count as received; `label` is the subscription's `last_error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// A non-2xx answer, with the receiver's `Retry-After` on 429 and 503.
    Status {
        code: u16,
        retry_after: Option<Duration>,
    },
    Timeout,
    Connection,
    /// The URL's address is refused by the private-address rule.
    Forbidden,
    /// The secret could not be used (never expected: it is made by us).
    Signing,
}

impl SendError {
    pub fn label(&self) -> String {
        match self {
            Self::Status { code, .. } => format!("http_{code}"),
            Self::Timeout => "timeout".into(),
            Self::Connection => "connection".into(),
            Self::Forbidden => "forbidden_address".into(),
            Self::Signing => "signing".into(),
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Resolves with the system resolver, keeping only the addresses the rule allows.
struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found.filter(|a| !is_forbidden(a.ip())).collect();
            if allowed.is_empty() {
                return Err("every address of the host is private or loopback".into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    pub fn new(timeout: Duration, allow_private: bool) -> Self {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("switchboard-webhooks/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(GuardedResolver));
        }
        Self {
            client: builder.build().expect("HTTP client builds"),
            allow_private,
        }
    }

    /// POSTs `body` signed with `secret`; `webhook-id` is the event id, so a receiver
    /// drops a redelivery it already has.
    pub async fn send(
        &self,
        url: &str,
        secret: &SecretString,
        event_id: &str,
        body: Vec<u8>,
    ) -> Result<(), SendError> {
        let parsed = url::Url::parse(url).map_err(|_| SendError::Forbidden)?;
        // Literal addresses never reach the resolver: check them here.
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if !self.allow_private && literal.is_some_and(is_forbidden) {
            return Err(SendError::Forbidden);
        }
        let webhook = standardwebhooks::Webhook::new(secret.expose_secret())
            .map_err(|_| SendError::Signing)?;
        let timestamp = chrono::Utc::now().timestamp();
        let signature = webhook
            .sign(event_id, timestamp, &body)
            .map_err(|_| SendError::Signing)?;
        let answer = self
            .client
            .post(parsed)
            .header("content-type", "application/json")
            .header(standardwebhooks::HEADER_WEBHOOK_ID, event_id)
            .header(
                standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
                timestamp.to_string(),
            )
            .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
            .body(body)
            .send()
            .await
            .map_err(|err| {
                if err.is_timeout() {
                    SendError::Timeout
                } else {
                    SendError::Connection
                }
            })?;
        let status = answer.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = matches!(status.as_u16(), 429 | 503)
            .then(|| answer.headers().get(reqwest::header::RETRY_AFTER))
            .flatten()
            .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        Err(SendError::Status {
            code: status.as_u16(),
            retry_after,
        })
    }
}
