"""Checking switchboard's webhook deliveries (Standard Webhooks) with the specification's own
Python library, `standardwebhooks`."""

from __future__ import annotations

from collections.abc import Mapping

from google.protobuf import json_format
from standardwebhooks import Webhook, WebhookVerificationError

from switchboard.v1 import event_service_pb2

__all__ = ["WebhookVerificationError", "WebhookVerifier"]


class WebhookVerifier:
    """Verifies the deliveries of one webhook subscription.

    `secret` is the `whsec_...` signing secret CreateWebhookSubscription or
    RotateWebhookSecret answered. `verify(body, headers)` checks `webhook-id`,
    `webhook-timestamp` (within 5 minutes of now) and `webhook-signature` (HMAC-SHA256)
    and returns the delivered `Event`; it raises `WebhookVerificationError` when the
    delivery is not genuine (answer it with 400 and ignore it). The event's `id` is the
    `webhook-id`: a redelivery has the same one.
    """

    def __init__(self, secret: str) -> None:
        self._webhook = Webhook(secret)

    def verify(self, body: bytes | str, headers: Mapping[str, str]) -> event_service_pb2.Event:
        # The library parses JSON only once the signature matched; the event is parsed again
        # as proto JSON, skipping fields a newer service may add.
        self._webhook.verify(body, dict(headers), json_parse=False)
        event = event_service_pb2.Event()
        json_format.Parse(body, event, ignore_unknown_fields=True)
        return event
