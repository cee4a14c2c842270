//! The `auth` section: who may call (API keys, JWTs), and the key that seals Slack tokens
//! at rest.

use base64::Engine as _;
use secrecy::SecretString;

use super::{ConfigError, Env, invalid};

#[derive(Debug, Clone)]
pub enum AuthConfig {
    /// Local development only: every call is treated as a service key.
    Disabled,
    Enabled {
        api_keys: Vec<SecretString>,
        jwt_secret: Option<SecretString>,
    },
}

/// The 32-byte AES-256-GCM key for tokens at rest. Not `Debug`-printable.
#[derive(Clone)]
pub struct EncryptionKey(pub [u8; 32]);

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey([redacted])")
    }
}

impl EncryptionKey {
    pub fn from_base64(raw: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    pub(super) fn parse(env: &Env<'_>) -> Result<Self, ConfigError> {
        Self::from_base64(&env.required("SWITCHBOARD_TOKEN_ENCRYPTION_KEY")?).ok_or_else(|| {
            invalid(
                "SWITCHBOARD_TOKEN_ENCRYPTION_KEY",
                "must be base64 of 32 bytes",
            )
        })
    }
}

impl AuthConfig {
    pub(super) fn parse(env: &Env<'_>) -> Result<Self, ConfigError> {
        match env.optional("SWITCHBOARD_AUTH").as_deref() {
            Some("disabled") => Ok(AuthConfig::Disabled),
            None | Some("enabled") => {
                let api_keys: Vec<SecretString> = env
                    .optional("SWITCHBOARD_API_KEYS")
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(|k| SecretString::from(k.to_owned()))
                    .collect();
                let jwt_secret = env.optional("SWITCHBOARD_JWT_SECRET");
                if let Some(secret) = &jwt_secret
                    && secret.len() < 32
                {
                    return Err(invalid(
                        "SWITCHBOARD_JWT_SECRET",
                        "must be at least 32 characters",
                    ));
                }
                if api_keys.is_empty() && jwt_secret.is_none() {
                    return Err(invalid(
                        "SWITCHBOARD_API_KEYS",
                        "(or SWITCHBOARD_JWT_SECRET) is required unless SWITCHBOARD_AUTH=disabled",
                    ));
                }
                Ok(AuthConfig::Enabled {
                    api_keys,
                    jwt_secret: jwt_secret.map(SecretString::from),
                })
            }
            Some(other) => Err(invalid(
                "SWITCHBOARD_AUTH",
                format!("must be \"enabled\" or \"disabled\", got {other:?}"),
            )),
        }
    }
}
