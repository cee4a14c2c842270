"""The webhook verifier against deliveries signed by the Standard Webhooks library's own
signer: a genuine one gives its Event; a tampered body, another secret or a stale timestamp
is refused."""

import base64
import datetime
import os

import pytest
from standardwebhooks import Webhook

import switchboard

BODY = (
    '{"id":"evt_1","teamId":"team-1","type":"delivery.sent","cursor":"c1",'
    '"deliverySent":{"deliveryId":"d1","internalMessageId":"m1","slackTs":"1700000000.000100"}}'
)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


SECRET = new_secret()


def signed(secret: str, body: str, age: datetime.timedelta = datetime.timedelta()) -> dict:
    at = datetime.datetime.now(tz=datetime.timezone.utc) - age
    return {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign("evt_1", at, body),
    }


def test_a_signed_delivery_gives_its_event():
    event = switchboard.WebhookVerifier(SECRET).verify(BODY.encode(), signed(SECRET, BODY))

    assert (event.id, event.type) == ("evt_1", "delivery.sent")
    assert event.delivery_sent.slack_ts == "1700000000.000100"


@pytest.mark.parametrize(
    "body, headers, message",
    [
        pytest.param('{"id":"evt_1"}', signed(SECRET, BODY), "No matching", id="tampered body"),
        pytest.param(BODY, signed(new_secret(), BODY), "No matching", id="wrong secret"),
        pytest.param(
            BODY, signed(SECRET, BODY, datetime.timedelta(minutes=6)), "too old", id="stale"
        ),
        pytest.param(BODY, {}, "Missing required headers", id="no signature"),
    ],
)
def test_forgeries_are_refused(body, headers, message):
    verifier = switchboard.WebhookVerifier(SECRET)

    with pytest.raises(switchboard.WebhookVerificationError, match=message):
        verifier.verify(body.encode(), headers)
