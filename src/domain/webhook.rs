//! Webhook subscriptions: where a subscriber's URL may point, the states a subscription
//! is in, and the Standard Webhooks signing secret.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use rand::{RngCore, rngs::OsRng};
use secrecy::SecretString;
use uuid::Uuid;

use super::{FieldViolation, TeamId};

const URL_MAX_CHARS: usize = 2048;

/// A subscriber's http(s) URL. Whether private addresses are allowed is the caller's
/// setting (`SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE`); the rule is checked again on every
/// resolved address at send time, so a public name cannot rebind to a private address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(url::Url);

impl WebhookUrl {
    pub fn parse(field: &str, raw: &str, allow_private: bool) -> Result<Self, FieldViolation> {
        let invalid = |why: &str| FieldViolation::new(field, why);
        if raw.is_empty() {
            return Err(invalid("is required"));
        }
        if raw.chars().count() > URL_MAX_CHARS {
            return Err(invalid("must be at most 2048 characters"));
        }
        let url = url::Url::parse(raw).map_err(|_| invalid("is not a valid URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("must be an http or https URL"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("must not carry credentials"));
        }
        let host_ip = match url.host() {
            None => return Err(invalid("must name a host")),
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) if is_local_name(name) => {
                Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
            }
            Some(url::Host::Domain(_)) => None,
        };
        if !allow_private && host_ip.is_some_and(is_forbidden) {
            return Err(invalid(
                "must not point at a loopback, private, link-local or multicast address",
            ));
        }
        Ok(Self(url))
    }

    /// For values read back from our own database, which were checked on the way in.
    pub fn from_trusted(raw: &str) -> Option<Self> {
        url::Url::parse(raw).ok().map(Self)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// `localhost` and its subdomains resolve to loopback by definition (RFC 6761).
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Addresses a webhook must not reach unless private targets are allowed: loopback,
/// private (RFC 1918, fc00::/7), link-local, unspecified, multicast, and the IPv4 ranges
/// that are never a public host ("this network", shared/CGNAT, broadcast).
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// Whether a subscription is sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookState {
    Active,
    /// Deliveries failed through the whole retry schedule; nothing is sent until a caller
    /// sets it active again.
    Disabled,
}

impl WebhookState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }

    pub fn from_db(raw: &str) -> Self {
        match raw {
            "disabled" => Self::Disabled,
            _ => Self::Active,
        }
    }
}

/// A subscription as the API shows it (never with its secret).
#[derive(Debug, Clone)]
pub struct WebhookSubscription {
    pub id: Uuid,
    pub team_id: Option<TeamId>,
    pub url: String,
    pub event_types: Vec<String>,
    pub state: WebhookState,
    pub last_error: Option<String>,
    pub delivered_cursor: super::EventCursor,
    pub create_time: chrono::DateTime<chrono::Utc>,
    pub update_time: chrono::DateTime<chrono::Utc>,
}

/// A fresh Standard Webhooks secret: `whsec_` + base64 of 24 random bytes.
pub fn new_signing_secret() -> SecretString {
    let mut bytes = [0u8; 24];
    OsRng.fill_bytes(&mut bytes);
    SecretString::from(format!("whsec_{}", STANDARD.encode(bytes)))
}

/// What a subscription's encrypted secret is bound to: a ciphertext copied onto another
/// subscription does not decrypt there.
pub fn secret_binding(id: Uuid) -> String {
    format!("webhook\u{0}{id}")
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn refused(raw: &str) -> bool {
        WebhookUrl::parse("subscription.url", raw, false).is_err()
    }

    #[test]
    fn public_http_urls_are_accepted() {
        for ok in [
            "https://hooks.example.com/switchboard",
            "http://8.8.8.8:8080/x",
            "https://[2001:4860::1]/",
        ] {
            assert!(!refused(ok), "{ok}");
        }
    }

    #[test]
    fn other_schemes_and_private_or_local_targets_are_refused() {
        for bad in [
            "",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "not a url",
            "http://127.0.0.1/",
            "http://localhost:9000/",
            "http://api.localhost/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0/",
            "http://224.0.0.1/",
            "http://100.64.0.1/",
            "http://[::1]/",
            "http://[::]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[ff02::1]/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(refused(bad), "{bad}");
        }
        let err = WebhookUrl::parse("subscription.url", "http://127.0.0.1/", false).unwrap_err();
        assert_eq!(err.field, "subscription.url");
    }

    #[test]
    fn private_targets_pass_when_allowed() {
        assert!(WebhookUrl::parse("url", "http://127.0.0.1:9/", true).is_ok());
        assert!(WebhookUrl::parse("url", "ftp://127.0.0.1/", true).is_err());
    }

    #[test]
    fn secrets_follow_the_standard_webhooks_format() {
        let secret = new_signing_secret();
        let raw = secret.expose_secret();
        let body = raw.strip_prefix("whsec_").unwrap();
        assert_eq!(STANDARD.decode(body).unwrap().len(), 24);
        assert_ne!(raw, new_signing_secret().expose_secret());
        assert!(standardwebhooks::Webhook::new(raw).is_ok());
    }
}
