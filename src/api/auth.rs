//! Caller authentication: `authorization: Bearer <service key | team JWT>`.

use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use secrecy::ExposeSecret;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::{Request, Status, service::Interceptor};
use tonic_types::StatusExt;

use super::Reason;
use crate::{
    config::AuthConfig,
    domain::{Caller, TeamId},
};

#[derive(Deserialize)]
struct TeamClaims {
    team_id: String,
}

struct Keys {
    /// SHA-256 of each service key: compared in constant time, and never kept in clear.
    service_key_hashes: Vec<[u8; 32]>,
    jwt: Option<DecodingKey>,
}

/// Establishes the `Caller` of each request, or refuses it with UNAUTHENTICATED.
#[derive(Clone)]
pub struct Authenticator {
    keys: Option<Arc<Keys>>,
    validation: Validation,
}

fn unauthenticated(reason: Reason, message: &str) -> Status {
    Status::with_error_details(tonic::Code::Unauthenticated, message, reason.details(&[]))
}

impl Authenticator {
    pub fn new(config: &AuthConfig) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp"]);
        validation.leeway = 30;
        // RFC 7519 4.1.5: a token must not be accepted before its `nbf`.
        validation.validate_nbf = true;
        let keys = match config {
            AuthConfig::Disabled => None,
            AuthConfig::Enabled {
                api_keys,
                jwt_secret,
            } => Some(Arc::new(Keys {
                service_key_hashes: api_keys
                    .iter()
                    .map(|k| Sha256::digest(k.expose_secret().as_bytes()).into())
                    .collect(),
                jwt: jwt_secret
                    .as_ref()
                    .map(|s| DecodingKey::from_secret(s.expose_secret().as_bytes())),
            })),
        };
        Self { keys, validation }
    }

    pub fn authenticate(&self, bearer: Option<&str>) -> Result<Caller, Status> {
        let Some(keys) = &self.keys else {
            return Ok(Caller::Service);
        };
        let credential = bearer
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                unauthenticated(
                    Reason::CredentialMissing,
                    "authorization: Bearer <credential> is required",
                )
            })?;

        let digest: [u8; 32] = Sha256::digest(credential.as_bytes()).into();
        let is_service_key = keys
            .service_key_hashes
            .iter()
            .fold(subtle::Choice::from(0), |found, k| found | k.ct_eq(&digest));
        if bool::from(is_service_key) {
            return Ok(Caller::Service);
        }

        let jwt = keys
            .jwt
            .as_ref()
            .ok_or_else(|| unauthenticated(Reason::CredentialInvalid, "invalid credential"))?;
        let claims = jsonwebtoken::decode::<TeamClaims>(credential, jwt, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => {
                    unauthenticated(Reason::CredentialExpired, "the team token has expired")
                }
                ErrorKind::ImmatureSignature => unauthenticated(
                    Reason::CredentialInvalid,
                    "the team token is not valid yet (nbf)",
                ),
                _ => unauthenticated(Reason::CredentialInvalid, "invalid credential"),
            })?
            .claims;
        let team = TeamId::parse("team_id", &claims.team_id).map_err(|_| {
            unauthenticated(
                Reason::CredentialInvalid,
                "the team token has no valid team_id",
            )
        })?;
        Ok(Caller::Team(team))
    }
}

impl Interceptor for Authenticator {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let bearer = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let caller = self.authenticate(bearer)?;
        request.extensions_mut().insert(caller);
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;
    use serde_json::json;

    use super::*;

    const SECRET: &str = "a-test-secret-that-is-long-enough-123";

    fn token(claims: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn a_token_is_refused_before_its_nbf() {
        let auth = Authenticator::new(&AuthConfig::Enabled {
            api_keys: vec![],
            jwt_secret: Some(SecretString::from(SECRET.to_owned())),
        });
        let now = chrono::Utc::now().timestamp();
        let bearer = |nbf: i64| {
            format!(
                "Bearer {}",
                token(json!({"team_id": "team-1", "exp": now + 7200, "nbf": nbf}))
            )
        };
        let early = auth.authenticate(Some(&bearer(now + 3600))).unwrap_err();
        assert_eq!(early.code(), tonic::Code::Unauthenticated);
        assert_eq!(
            auth.authenticate(Some(&bearer(now - 60))).unwrap(),
            Caller::Team(TeamId::parse("team_id", "team-1").unwrap())
        );
    }
}
