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
}

/// The token keys with their ids, the first sealing, all opening.
/// `SWITCHBOARD_TOKEN_ENCRYPTION_KEYS` (`id:base64,id:base64`) lists them; without it,
/// `SWITCHBOARD_TOKEN_ENCRYPTION_KEY` is the single key, `legacy`, id `k0`.
#[derive(Debug, Clone)]
pub struct TokenKeys {
    pub keys: Vec<(String, EncryptionKey)>,
    /// From the single-key setting: tokens are sealed as before key rotation.
    pub legacy: bool,
}

const KEYS: &str = "SWITCHBOARD_TOKEN_ENCRYPTION_KEYS";
const KEY: &str = "SWITCHBOARD_TOKEN_ENCRYPTION_KEY";

impl TokenKeys {
    /// This setting alone, for commands that need no other (`rotate-keys`).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::parse(&Env::process())
    }

    /// The key that seals.
    pub fn primary(&self) -> &EncryptionKey {
        &self.keys[0].1
    }

    pub(super) fn parse(env: &Env<'_>) -> Result<Self, ConfigError> {
        let Some(list) = env.optional(KEYS) else {
            let key = EncryptionKey::from_base64(&env.required(KEY)?)
                .ok_or_else(|| invalid(KEY, "must be base64 of 32 bytes"))?;
            return Ok(Self {
                keys: vec![("k0".to_owned(), key)],
                legacy: true,
            });
        };
        if env.optional(KEY).is_some() {
            return Err(invalid(
                KEYS,
                format!("cannot be combined with {KEY}; list that key in it as k0:<base64>"),
            ));
        }
        let mut keys: Vec<(String, EncryptionKey)> = Vec::new();
        for (n, entry) in list.split(',').map(str::trim).enumerate() {
            let position = n + 1;
            let (id, key) = entry
                .split_once(':')
                .ok_or_else(|| invalid(KEYS, format!("entry {position} must be id:base64")))?;
            let id = id.trim();
            if id.is_empty()
                || id.len() > 64
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(invalid(
                    KEYS,
                    format!("entry {position}: a key id is 1 to 64 letters, digits, - or _"),
                ));
            }
            if keys.iter().any(|(seen, _)| seen == id) {
                return Err(invalid(KEYS, format!("names key id {id:?} twice")));
            }
            let key = EncryptionKey::from_base64(key)
                .ok_or_else(|| invalid(KEYS, format!("key {id:?} must be base64 of 32 bytes")))?;
            keys.push((id.to_owned(), key));
        }
        Ok(Self {
            keys,
            legacy: false,
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
