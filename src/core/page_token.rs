//! Opaque, tamper-proof page tokens (AIP-158): the cursor is signed with HMAC-SHA256 and
//! bound to the request's filters, so a forged, altered or re-filtered token is refused.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::{config::EncryptionKey, domain::FieldViolation};

type HmacSha256 = Hmac<Sha256>;
const MAC_LEN: usize = 16;

/// The position after the last item of a page, in (create_time, id) order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "t")]
    pub time: DateTime<Utc>,
    pub id: Uuid,
    /// Fingerprint of the filters the token was issued for.
    #[serde(rename = "f")]
    pub filters: String,
}

#[derive(Clone)]
pub struct PageTokens {
    key: Vec<u8>,
}

impl PageTokens {
    /// Derives its own key so that page tokens never reveal anything about the token key.
    pub fn new(master: &EncryptionKey) -> Self {
        let mut mac = HmacSha256::new_from_slice(&master.0).expect("HMAC takes any key length");
        mac.update(b"switchboard page tokens v1");
        Self {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    fn mac(&self, payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload);
        mac
    }

    pub fn encode(&self, cursor: &Cursor) -> String {
        let payload = serde_json::to_vec(cursor).expect("cursor serializes");
        let tag = self.mac(&payload).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(&tag[..MAC_LEN])
        )
    }

    /// The cursor of `token`, which must have been issued for `filters`.
    pub fn decode(&self, token: &str, filters: &str) -> Result<Cursor, FieldViolation> {
        let invalid =
            || FieldViolation::new("page_token", "is not a page token issued for this request");
        let (payload, tag) = token.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        self.mac(&payload)
            .verify_truncated_left(&tag)
            .map_err(|_| invalid())?;
        if tag.len() != MAC_LEN {
            return Err(invalid());
        }
        let cursor: Cursor = serde_json::from_slice(&payload).map_err(|_| invalid())?;
        if cursor.filters != filters {
            return Err(invalid());
        }
        Ok(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> PageTokens {
        PageTokens::new(&EncryptionKey([3u8; 32]))
    }

    fn cursor() -> Cursor {
        Cursor {
            time: Utc::now(),
            id: Uuid::new_v4(),
            filters: "team=a".into(),
        }
    }

    #[test]
    fn round_trip() {
        let c = cursor();
        let token = tokens().encode(&c);
        assert_eq!(tokens().decode(&token, "team=a").unwrap(), c);
    }

    #[test]
    fn forged_altered_or_refiltered_tokens_are_refused() {
        let token = tokens().encode(&cursor());
        assert!(tokens().decode(&token, "team=b").is_err());
        assert!(tokens().decode("garbage", "team=a").is_err());
        assert!(tokens().decode("e30.AAAA", "team=a").is_err());
        let (payload, tag) = token.split_once('.').unwrap();
        let mut altered = payload.to_owned();
        altered.replace_range(0..1, if &payload[0..1] == "A" { "B" } else { "A" });
        assert!(
            tokens()
                .decode(&format!("{altered}.{tag}"), "team=a")
                .is_err()
        );
        let other_key = PageTokens::new(&EncryptionKey([4u8; 32]));
        assert!(other_key.decode(&token, "team=a").is_err());
    }
}
