//! The webhook verifier against deliveries signed by the Standard Webhooks library's own
//! signer: a genuine one gives its Event; a tampered body, another secret or a stale
//! timestamp is refused. Needs no service.

use std::time::{SystemTime, UNIX_EPOCH};

use standardwebhooks::{Webhook, WebhookError as LibraryError};
use switchboard_client::{WebhookError, WebhookVerifier, proto::v1};

const BODY: &str = r#"{"id":"evt_1","teamId":"team-1","type":"delivery.sent","cursor":"c1","deliverySent":{"deliveryId":"d1","internalMessageId":"m1","slackTs":"1700000000.000100"}}"#;
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_QTKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn signed(secret: &str, body: &str, age_secs: i64) -> http::HeaderMap {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let at = now - age_secs;
    let signature = Webhook::new(secret)
        .unwrap()
        .sign("evt_1", at, body.as_bytes())
        .unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("webhook-id", "evt_1".parse().unwrap());
    headers.insert("webhook-timestamp", at.to_string().parse().unwrap());
    headers.insert("webhook-signature", signature.parse().unwrap());
    headers
}

#[test]
fn a_signed_delivery_gives_its_event() {
    let verifier = WebhookVerifier::new(SECRET).unwrap();

    let event = verifier
        .verify(BODY.as_bytes(), &signed(SECRET, BODY, 0))
        .unwrap();

    assert_eq!(
        (event.id.as_str(), event.r#type.as_str()),
        ("evt_1", "delivery.sent")
    );
    let Some(v1::event::Payload::DeliverySent(sent)) = event.payload else {
        panic!("want a delivery.sent payload, got {:?}", event.payload);
    };
    assert_eq!(sent.slack_ts, "1700000000.000100");
}

#[test]
fn forgeries_are_refused() {
    let verifier = WebhookVerifier::new(SECRET).unwrap();
    let cases = [
        (
            "tampered body",
            r#"{"id":"evt_1"}"#,
            signed(SECRET, BODY, 0),
        ),
        ("wrong secret", BODY, signed(OTHER_SECRET, BODY, 0)),
        ("stale timestamp", BODY, signed(SECRET, BODY, 6 * 60)),
        ("no signature", BODY, http::HeaderMap::new()),
    ];
    for (name, body, headers) in cases {
        let verdict = verifier.verify(body.as_bytes(), &headers);

        let expected = match name {
            "stale timestamp" => matches!(
                verdict,
                Err(WebhookError::Verification(
                    LibraryError::TimestampTooOldError
                ))
            ),
            "no signature" => matches!(
                verdict,
                Err(WebhookError::Verification(LibraryError::MissingHeader(_)))
            ),
            _ => matches!(
                verdict,
                Err(WebhookError::Verification(LibraryError::InvalidSignature))
            ),
        };
        assert!(expected, "{name}: got {verdict:?}");
    }
}

#[test]
fn a_malformed_secret_is_refused() {
    assert!(matches!(
        WebhookVerifier::new("whsec_not base64!"),
        Err(WebhookError::Verification(_))
    ));
}
