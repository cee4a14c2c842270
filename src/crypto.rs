//! Tokens at rest (AES-256-GCM) and the random single-use secrets we hand out (OAuth
//! states, reconnect tokens), which are stored only as SHA-256 hashes. A leaf: it uses
//! nothing else of the crate, so every layer may use it.

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, Payload},
};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::{RngCore, rngs::OsRng};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// First byte of every ciphertext, so the scheme (or key) can change later.
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
#[error("stored token could not be decrypted")]
pub struct DecryptError;

#[derive(Clone)]
pub struct TokenCipher {
    cipher: Aes256Gcm,
}

impl TokenCipher {
    /// `key` is the 32-byte AES-256 key (`SWITCHBOARD_TOKEN_ENCRYPTION_KEY`).
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// `binding` (e.g. team and workspace) is authenticated but not stored: a ciphertext
    /// copied onto another row does not decrypt there.
    pub fn encrypt(&self, token: &SecretString, binding: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: token.expose_secret().as_bytes(),
                    aad: binding.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of a short token cannot fail");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn decrypt(&self, stored: &[u8], binding: &str) -> Result<SecretString, DecryptError> {
        let (&version, rest) = stored.split_first().ok_or(DecryptError)?;
        if version != FORMAT_V1 || rest.len() < NONCE_LEN {
            return Err(DecryptError);
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: binding.as_bytes(),
                },
            )
            .map_err(|_| DecryptError)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| DecryptError)
    }
}

/// What a team's token for one workspace is bound to.
pub fn token_binding(team_id: &str, workspace_id: &str) -> String {
    format!("{team_id}\u{0}{workspace_id}")
}

/// A fresh 256-bit secret, URL-safe.
pub fn random_secret() -> SecretString {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    SecretString::from(URL_SAFE_NO_PAD.encode(bytes))
}

pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> TokenCipher {
        TokenCipher::new(&[9u8; 32])
    }

    #[test]
    fn round_trip_and_binding() {
        let token = SecretString::from("xoxb-1-secret".to_owned());
        let sealed = cipher().encrypt(&token, "team\0T1");
        assert!(!sealed.windows(13).any(|w| w == b"xoxb-1-secret"));
        assert_eq!(
            cipher()
                .decrypt(&sealed, "team\0T1")
                .unwrap()
                .expose_secret(),
            "xoxb-1-secret"
        );
        assert!(cipher().decrypt(&sealed, "team\0T2").is_err());
        assert!(
            TokenCipher::new(&[1u8; 32])
                .decrypt(&sealed, "team\0T1")
                .is_err()
        );
        assert!(cipher().decrypt(&[], "x").is_err());
    }

    #[test]
    fn nonces_differ() {
        let token = SecretString::from("xoxb".to_owned());
        assert_ne!(cipher().encrypt(&token, "b"), cipher().encrypt(&token, "b"));
    }

    #[test]
    fn secrets_are_256_bit_and_unique() {
        let a = random_secret();
        assert_eq!(URL_SAFE_NO_PAD.decode(a.expose_secret()).unwrap().len(), 32);
        assert_ne!(a.expose_secret(), random_secret().expose_secret());
        assert_eq!(secret_hash("x").len(), 32);
    }
}
