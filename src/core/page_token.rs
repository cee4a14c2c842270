//! Opaque, tamper-proof page tokens (AIP-158): the cursor is signed with HMAC-SHA256 and
//! bound to the request's filters, so a forged, altered or re-filtered token is refused.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::Sha256;
use uuid::Uuid;

use crate::{config::EncryptionKey, domain::FieldViolation};

type HmacSha256 = Hmac<Sha256>;
const MAC_LEN: usize = 16;

/// Where the next page starts in (create_time, id) order: the cursor of every listing of
/// stored resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeCursor {
    #[serde(rename = "t")]
    pub time: DateTime<Utc>,
    pub id: Uuid,
}

/// A listing's page sizes (AIP-158): 0 asks for the default, more than the maximum is
/// lowered to it, a negative size is refused.
#[derive(Debug, Clone, Copy)]
pub struct PageSize {
    pub default: usize,
    pub max: usize,
}

impl PageSize {
    pub fn resolve(self, requested: i32) -> Result<usize, FieldViolation> {
        match usize::try_from(requested) {
            Err(_) => Err(FieldViolation::new("page_size", "must not be negative")),
            Ok(0) => Ok(self.default),
            Ok(n) => Ok(n.min(self.max)),
        }
    }
}

/// What a token carries: the caller's cursor and the filters it was issued for.
#[derive(Serialize, Deserialize)]
struct Payload<C> {
    #[serde(rename = "c")]
    cursor: C,
    #[serde(rename = "f")]
    filters: String,
}

/// Signs with a key derived from the first token key and accepts a signature by any of
/// them: across a key rotation, tokens stay valid as long as their key is configured, and
/// are refused as any forged token once it is removed.
#[derive(Clone)]
pub struct PageTokens {
    keys: Vec<Vec<u8>>,
}

impl PageTokens {
    pub fn new(master: &EncryptionKey) -> Self {
        Self::with_keys(std::slice::from_ref(master))
    }

    /// Derives its own keys so that page tokens never reveal anything about token keys.
    pub fn with_keys<'a>(masters: impl IntoIterator<Item = &'a EncryptionKey>) -> Self {
        let keys = masters
            .into_iter()
            .map(|master| {
                let mut mac =
                    HmacSha256::new_from_slice(&master.0).expect("HMAC takes any key length");
                mac.update(b"switchboard page tokens v1");
                mac.finalize().into_bytes().to_vec()
            })
            .collect();
        Self { keys }
    }

    fn mac(key: &[u8], payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(payload);
        mac
    }

    /// A token for `cursor`, valid only with the same `filters` (any stable rendering of
    /// the request's filters).
    pub fn encode<C: Serialize>(&self, cursor: &C, filters: &str) -> String {
        let payload = serde_json::to_vec(&Payload {
            cursor,
            filters: filters.to_owned(),
        })
        .expect("cursor serializes");
        let tag = Self::mac(&self.keys[0], &payload).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(&tag[..MAC_LEN])
        )
    }

    /// Where the caller is: `None` at the start (no token), else the token's cursor.
    pub fn position<C: DeserializeOwned>(
        &self,
        token: &str,
        filters: &str,
    ) -> Result<Option<C>, FieldViolation> {
        match token {
            "" => Ok(None),
            token => self.decode(token, filters).map(Some),
        }
    }

    /// Cuts a page fetched with one item to spare down to `size`; the token of the next
    /// page when the spare item showed there is one.
    pub fn next_page<T, C: Serialize>(
        &self,
        items: &mut Vec<T>,
        size: usize,
        filters: &str,
        cursor: impl Fn(&T) -> C,
    ) -> Option<String> {
        if items.len() <= size {
            return None;
        }
        items.truncate(size);
        items.last().map(|last| self.encode(&cursor(last), filters))
    }

    /// The cursor of `token`, which must have been issued for `filters`.
    pub fn decode<C: DeserializeOwned>(
        &self,
        token: &str,
        filters: &str,
    ) -> Result<C, FieldViolation> {
        let invalid =
            || FieldViolation::new("page_token", "is not a page token issued for this request");
        let (payload, tag) = token.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        let signed = |key: &Vec<u8>| Self::mac(key, &payload).verify_truncated_left(&tag).is_ok();
        if tag.len() != MAC_LEN || !self.keys.iter().any(signed) {
            return Err(invalid());
        }
        let payload: Payload<C> = serde_json::from_slice(&payload).map_err(|_| invalid())?;
        if payload.filters != filters {
            return Err(invalid());
        }
        Ok(payload.cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> PageTokens {
        PageTokens::new(&EncryptionKey([3u8; 32]))
    }

    #[test]
    fn page_sizes() {
        let sizes = PageSize {
            default: 50,
            max: 500,
        };
        assert_eq!(sizes.resolve(0).unwrap(), 50);
        assert_eq!(sizes.resolve(7).unwrap(), 7);
        assert_eq!(sizes.resolve(1000).unwrap(), 500);
        assert_eq!(sizes.resolve(-1).unwrap_err().field, "page_size");
    }

    #[test]
    fn next_page_only_with_a_spare_item() {
        let mut items = vec![1, 2, 3];
        assert!(tokens().next_page(&mut items, 3, "f", |n| *n).is_none());
        assert_eq!(items, [1, 2, 3]);
        let token = tokens().next_page(&mut items, 2, "f", |n| *n).unwrap();
        assert_eq!(items, [1, 2]);
        assert_eq!(tokens().position::<i32>(&token, "f").unwrap(), Some(2));
        assert_eq!(tokens().position::<i32>("", "f").unwrap(), None);
    }

    #[test]
    fn round_trip() {
        let token = tokens().encode(&("general".to_owned(), 7u32), "team=a");
        let cursor: (String, u32) = tokens().decode(&token, "team=a").unwrap();
        assert_eq!(cursor, ("general".to_owned(), 7));
    }

    #[test]
    fn forged_altered_or_refiltered_tokens_are_refused() {
        let token = tokens().encode(&42u64, "team=a");
        assert!(tokens().decode::<u64>(&token, "team=b").is_err());
        assert!(tokens().decode::<u64>("garbage", "team=a").is_err());
        assert!(tokens().decode::<u64>("e30.AAAA", "team=a").is_err());
        let (payload, tag) = token.split_once('.').unwrap();
        let mut altered = payload.to_owned();
        altered.replace_range(0..1, if &payload[0..1] == "A" { "B" } else { "A" });
        assert!(
            tokens()
                .decode::<u64>(&format!("{altered}.{tag}"), "team=a")
                .is_err()
        );
        let other_key = PageTokens::new(&EncryptionKey([4u8; 32]));
        assert!(other_key.decode::<u64>(&token, "team=a").is_err());
    }

    #[test]
    fn tokens_outlive_a_rotation_while_their_key_is_configured() {
        let old = tokens().encode(&42u64, "team=a");
        let rotated = PageTokens::with_keys(&[EncryptionKey([4u8; 32]), EncryptionKey([3u8; 32])]);
        assert_eq!(rotated.decode::<u64>(&old, "team=a").unwrap(), 42);
        let new = rotated.encode(&7u64, "team=a");
        assert!(tokens().decode::<u64>(&new, "team=a").is_err());
        let retired = PageTokens::new(&EncryptionKey([4u8; 32]));
        assert_eq!(retired.decode::<u64>(&new, "team=a").unwrap(), 7);
        let refused = retired.decode::<u64>(&old, "team=a").unwrap_err();
        assert_eq!(refused.field, "page_token");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn any_string_is_a_cursor_or_a_clean_refusal(token in any::<String>(), filters in any::<String>()) {
                match tokens().position::<TimeCursor>(&token, &filters) {
                    Ok(position) => prop_assert!(token.is_empty() && position.is_none()),
                    Err(violation) => prop_assert_eq!(violation.field, "page_token"),
                }
            }

            #[test]
            fn tokens_round_trip_only_with_their_filters(
                cursor in any::<(String, u64)>(),
                filters in any::<String>(),
                other in any::<String>(),
                flip in any::<prop::sample::Index>(),
            ) {
                let token = tokens().encode(&cursor, &filters);
                prop_assert_eq!(tokens().decode::<(String, u64)>(&token, &filters).unwrap(), cursor);
                if other != filters {
                    prop_assert!(tokens().decode::<(String, u64)>(&token, &other).is_err());
                }
                // Any one character changed (the alphabet is ASCII) breaks the token.
                let mut altered = token.clone().into_bytes();
                let at = flip.index(altered.len());
                altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
                let altered = String::from_utf8(altered).unwrap();
                if altered != token {
                    prop_assert!(tokens().decode::<(String, u64)>(&altered, &filters).is_err());
                }
            }

            #[test]
            fn any_page_size_resolves_within_bounds(requested in any::<i32>()) {
                let sizes = PageSize { default: 50, max: 500 };
                match sizes.resolve(requested) {
                    Ok(size) => prop_assert!((1..=500).contains(&size)),
                    Err(violation) => {
                        prop_assert!(requested < 0);
                        prop_assert_eq!(violation.field, "page_size");
                    }
                }
            }
        }
    }
}
