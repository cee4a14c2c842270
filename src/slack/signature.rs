//! Slack's request signatures (v0): HMAC-SHA256 over `v0:{timestamp}:{raw body}` with the
//! app's signing secret, compared in constant time, within five minutes of now.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Requests older or newer than this are refused (replay protection).
pub const SIGNATURE_WINDOW_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("X-Slack-Request-Timestamp or X-Slack-Signature is missing")]
    Missing,
    #[error("the request timestamp is outside the five-minute window")]
    Stale,
    #[error("the signature does not match")]
    Invalid,
}

#[derive(Clone)]
pub struct SignatureVerifier {
    secret: SecretString,
}

impl SignatureVerifier {
    pub fn new(secret: SecretString) -> Self {
        Self { secret }
    }

    fn mac(&self, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.expose_secret().as_bytes())
            .expect("HMAC takes any key length");
        mac.update(b"v0:");
        mac.update(timestamp.as_bytes());
        mac.update(b":");
        mac.update(body);
        mac
    }

    /// `now` is Unix seconds.
    pub fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), SignatureError> {
        let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
            return Err(SignatureError::Missing);
        };
        let sent: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::Stale)?;
        // The caller chooses `sent`: no arithmetic on it may overflow.
        let age = now.checked_sub(sent).and_then(i64::checked_abs);
        if age.is_none_or(|age| age > SIGNATURE_WINDOW_SECS) {
            return Err(SignatureError::Stale);
        }
        let provided = signature
            .strip_prefix("v0=")
            .and_then(|hex| decode_hex(hex.trim()))
            .ok_or(SignatureError::Invalid)?;
        self.mac(timestamp, body)
            .verify_slice(&provided)
            .map_err(|_| SignatureError::Invalid)
    }

    /// The header value Slack would send (for tests and tools).
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        let digest = self.mac(timestamp, body).finalize().into_bytes();
        format!(
            "v0={}",
            digest
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        )
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier() -> SignatureVerifier {
        SignatureVerifier::new(SecretString::from(
            "8f742231b10e8888abcd99yyyzzz85a5".to_owned(),
        ))
    }

    #[test]
    fn slacks_documented_example_verifies() {
        // The example from Slack's "Verifying requests from Slack" guide.
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assert_eq!(
            verifier().verify(Some("1531420618"), Some(signature), body, 1531420618),
            Ok(())
        );
        assert_eq!(verifier().sign("1531420618", body), signature);
    }

    #[test]
    fn refusals() {
        let v = verifier();
        let body = b"{}";
        let good = v.sign("1000", body);
        assert_eq!(
            v.verify(None, Some(&good), body, 1000),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            v.verify(Some("1000"), None, body, 1000),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            v.verify(Some("1000"), Some(&good), body, 1301),
            Err(SignatureError::Stale)
        );
        assert_eq!(v.verify(Some("1000"), Some(&good), body, 1300), Ok(()));
        assert_eq!(
            v.verify(Some("1000"), Some(&good), b"{ }", 1000),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            v.verify(Some("1000"), Some("v0=zz"), body, 1000),
            Err(SignatureError::Invalid)
        );
        for extreme in [i64::MIN, i64::MAX, i64::MIN + 1000] {
            let at = extreme.to_string();
            assert_eq!(
                v.verify(Some(&at), Some(&v.sign(&at, body)), body, 1000),
                Err(SignatureError::Stale),
                "{at}"
            );
        }
        let other = SignatureVerifier::new(SecretString::from("other".to_owned()));
        assert_eq!(
            other.verify(Some("1000"), Some(&good), body, 1000),
            Err(SignatureError::Invalid)
        );
    }

    mod properties {
        use proptest::{collection, option, prelude::*};

        use super::*;

        proptest! {
            #[test]
            fn arbitrary_headers_are_refused_cleanly(
                timestamp in option::of(any::<String>()),
                signature in option::of(any::<String>()),
                body in collection::vec(any::<u8>(), 0..64),
                now in any::<i64>(),
            ) {
                let signed = verifier().verify(timestamp.as_deref(), signature.as_deref(), &body, now);
                // Without the secret, only a signature of ours verifies.
                prop_assert!(signed.is_err());
            }

            #[test]
            fn the_window_is_exactly_five_minutes_for_any_times(
                now in any::<i64>(),
                offset in prop_oneof![-400i64..400, any::<i64>()],
                body in collection::vec(any::<u8>(), 0..64),
            ) {
                let sent = now.wrapping_add(offset);
                let timestamp = sent.to_string();
                let signature = verifier().sign(&timestamp, &body);
                let within = (i128::from(now) - i128::from(sent)).abs() <= i128::from(SIGNATURE_WINDOW_SECS);
                let verified = verifier().verify(Some(&timestamp), Some(&signature), &body, now);
                prop_assert_eq!(verified.is_ok(), within);
                if !within {
                    prop_assert_eq!(verified, Err(SignatureError::Stale));
                }
            }
        }
    }
}
