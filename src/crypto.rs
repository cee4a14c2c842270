//! Tokens at rest (AES-256-GCM) and the random single-use secrets we hand out (OAuth
//! states, reconnect tokens), which are stored only as SHA-256 hashes. A leaf: it uses
//! nothing else of the crate, so every layer may use it.
//!
//! Two formats of ciphertext exist, told apart by their first byte:
//! - v1 `[1][nonce 12][sealed]`: written by a service with the single key
//!   (`SWITCHBOARD_TOKEN_ENCRYPTION_KEY`), as every version before key rotation did. It
//!   names no key, so it is tried with each configured key; AES-GCM's tag tells a wrong
//!   key from the right one (a false match has probability 2^-128).
//! - v2 `[2][id length][id][nonce 12][sealed]`: written with a key list
//!   (`SWITCHBOARD_TOKEN_ENCRYPTION_KEYS`); the header is authenticated with the binding.
//!
//! Every ciphertext ever written starts with byte 1 or 2, so the format is never guessed.

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, Payload},
};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::{RngCore, rngs::OsRng};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// The format of the single-key service: no key id.
const FORMAT_V1: u8 = 1;
/// The format with a key id.
const FORMAT_V2: u8 = 2;
const NONCE_LEN: usize = 12;

/// The id the single key (`SWITCHBOARD_TOKEN_ENCRYPTION_KEY`) goes by.
pub const LEGACY_KEY_ID: &str = "k0";

#[derive(Debug, thiserror::Error)]
#[error("stored token could not be decrypted")]
pub struct DecryptError;

#[derive(Clone)]
struct Key {
    id: String,
    cipher: Aes256Gcm,
}

/// The token keys: the first seals, every one opens.
#[derive(Clone)]
pub struct TokenCipher {
    keys: Vec<Key>,
    /// Seal in the v1 format (the single-key setting), which older versions can read.
    legacy: bool,
}

impl TokenCipher {
    /// The single key (`SWITCHBOARD_TOKEN_ENCRYPTION_KEY`): seals and opens as every
    /// version before key rotation did.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            keys: vec![Key {
                id: LEGACY_KEY_ID.to_owned(),
                cipher: Aes256Gcm::new(key.into()),
            }],
            legacy: true,
        }
    }

    /// A key list (`SWITCHBOARD_TOKEN_ENCRYPTION_KEYS`), ids unique and at most 255
    /// bytes (the configuration checks both): the first seals, in the v2 format.
    pub fn with_keys<'a>(keys: impl IntoIterator<Item = (&'a str, &'a [u8; 32])>) -> Self {
        let keys: Vec<Key> = keys
            .into_iter()
            .map(|(id, key)| Key {
                id: id.to_owned(),
                cipher: Aes256Gcm::new(key.into()),
            })
            .collect();
        assert!(!keys.is_empty(), "at least one token key");
        Self {
            keys,
            legacy: false,
        }
    }

    fn primary(&self) -> &Key {
        &self.keys[0]
    }

    /// The id of the key that seals.
    pub fn primary_id(&self) -> &str {
        &self.primary().id
    }

    /// `binding` (e.g. team and workspace) is authenticated but not stored: a ciphertext
    /// copied onto another row does not decrypt there.
    pub fn encrypt(&self, token: &SecretString, binding: &str) -> Vec<u8> {
        let key = self.primary();
        let mut header = Vec::with_capacity(2 + key.id.len());
        if self.legacy {
            header.push(FORMAT_V1);
        } else {
            header.push(FORMAT_V2);
            header.push(u8::try_from(key.id.len()).expect("key ids are checked to fit a byte"));
            header.extend_from_slice(key.id.as_bytes());
        }
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let aad = aad(&header, binding);
        let sealed = key
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: token.expose_secret().as_bytes(),
                    aad: &aad,
                },
            )
            .expect("AES-GCM encryption of a short token cannot fail");
        let mut out = header;
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn decrypt(&self, stored: &[u8], binding: &str) -> Result<SecretString, DecryptError> {
        let envelope = Envelope::parse(stored).ok_or(DecryptError)?;
        let aad = aad(envelope.header, binding);
        let open = |key: &Key| {
            key.cipher
                .decrypt(
                    Nonce::from_slice(envelope.nonce),
                    Payload {
                        msg: envelope.sealed,
                        aad: &aad,
                    },
                )
                .ok()
        };
        let plain = match envelope.key_id {
            None => self.keys.iter().find_map(open),
            Some(id) => self
                .keys
                .iter()
                .find(|k| k.id.as_bytes() == id)
                .and_then(open),
        }
        .ok_or(DecryptError)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| DecryptError)
    }

    /// Whether `stored` is sealed as `encrypt` seals now (same format and key), so key
    /// rotation can leave it alone. Says nothing of whether it opens.
    pub fn is_current(&self, stored: &[u8]) -> bool {
        match Envelope::parse(stored) {
            Some(Envelope { key_id: None, .. }) => self.legacy,
            Some(Envelope {
                key_id: Some(id), ..
            }) => !self.legacy && id == self.primary_id().as_bytes(),
            None => false,
        }
    }
}

/// A stored ciphertext taken apart.
struct Envelope<'a> {
    /// What the AAD covers besides the binding: the version byte (v1), or the version, id
    /// length and id (v2).
    header: &'a [u8],
    key_id: Option<&'a [u8]>,
    nonce: &'a [u8],
    sealed: &'a [u8],
}

impl<'a> Envelope<'a> {
    fn parse(stored: &'a [u8]) -> Option<Self> {
        let (header, key_id, rest) = match *stored.first()? {
            FORMAT_V1 => (&stored[..1], None, &stored[1..]),
            FORMAT_V2 => {
                let id_len = usize::from(*stored.get(1)?);
                let header = stored.get(..2 + id_len)?;
                (header, Some(&header[2..]), &stored[2 + id_len..])
            }
            _ => return None,
        };
        if rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        Some(Self {
            header,
            key_id,
            nonce,
            sealed,
        })
    }
}

/// The authenticated data: v1 authenticates the binding alone (as it always did), v2 its
/// header too, so a ciphertext's key id cannot be swapped.
fn aad(header: &[u8], binding: &str) -> Vec<u8> {
    if header.len() == 1 {
        return binding.as_bytes().to_vec();
    }
    let mut aad = header.to_vec();
    aad.extend_from_slice(binding.as_bytes());
    aad
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

    /// A v1 ciphertext built by hand as every version before key rotation wrote it, so
    /// the test does not depend on today's code to produce the old format.
    fn sealed_v1(key: &[u8; 32], token: &str, binding: &str) -> Vec<u8> {
        let nonce = [5u8; NONCE_LEN];
        let sealed = Aes256Gcm::new(key.into())
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: token.as_bytes(),
                    aad: binding.as_bytes(),
                },
            )
            .unwrap();
        [&[FORMAT_V1][..], &nonce, &sealed].concat()
    }

    fn open(cipher: &TokenCipher, stored: &[u8]) -> Option<String> {
        cipher
            .decrypt(stored, "b")
            .ok()
            .map(|t| t.expose_secret().to_owned())
    }

    #[test]
    fn old_ciphertexts_open_with_the_single_key_or_any_listed_key() {
        let old = sealed_v1(&[9u8; 32], "xoxb-old", "b");
        assert_eq!(open(&cipher(), &old).as_deref(), Some("xoxb-old"));
        let listed = TokenCipher::with_keys([("k2", &[8u8; 32]), ("k1", &[9u8; 32])]);
        assert_eq!(open(&listed, &old).as_deref(), Some("xoxb-old"));
        assert!(!listed.is_current(&old));
        assert!(cipher().is_current(&old));
        let without = TokenCipher::with_keys([("k2", &[8u8; 32])]);
        assert_eq!(open(&without, &old), None);
    }

    #[test]
    fn key_lists_seal_with_the_first_key_and_name_it() {
        let token = SecretString::from("xoxb-new".to_owned());
        let rotated = TokenCipher::with_keys([("k2", &[8u8; 32]), ("k1", &[9u8; 32])]);
        let sealed = rotated.encrypt(&token, "b");
        assert_eq!(&sealed[..4], &[FORMAT_V2, 2, b'k', b'2']);
        assert!(rotated.is_current(&sealed));
        let only_new = TokenCipher::with_keys([("k2", &[8u8; 32])]);
        assert_eq!(open(&only_new, &sealed).as_deref(), Some("xoxb-new"));
        // The previous configuration opens it only once it lists k2 as well.
        let before = TokenCipher::with_keys([("k1", &[9u8; 32])]);
        assert_eq!(open(&before, &sealed), None);
        assert_eq!(open(&cipher(), &sealed), None);
        let staged = TokenCipher::with_keys([("k1", &[9u8; 32]), ("k2", &[8u8; 32])]);
        assert_eq!(open(&staged, &sealed).as_deref(), Some("xoxb-new"));
        assert!(!staged.is_current(&sealed));
        // The key id is authenticated: renaming it (same length) breaks the ciphertext.
        let same_key_other_id = TokenCipher::with_keys([("k3", &[8u8; 32])]);
        let mut renamed = sealed.clone();
        renamed[3] = b'3';
        assert_eq!(open(&same_key_other_id, &renamed), None);
        // Truncated envelopes are refused, never a panic.
        for len in 0..sealed.len() {
            assert_eq!(open(&rotated, &sealed[..len]), None);
        }
        assert_eq!(open(&rotated, &[3, 0]), None);
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
