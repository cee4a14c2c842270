"""Hearing from switchboard: a webhook receiver that verifies each delivery's Standard
Webhooks signature, and the event stream, which resumes by itself after a dropped connection.
It sends a message to the team's integration and prints its `delivery.sent` as both saw it.

Runs against `make run` after the quickstart (which installs the app for the team), with
the quickstart's settings (SWITCHBOARD_ADDR, SWITCHBOARD_API_KEY, SWITCHBOARD_TEAM_ID) and
SWITCHBOARD_WEBHOOK_HOST, the address the service reaches this receiver at (default
127.0.0.1, which the service accepts with SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true).
"""

import http.server
import os
import queue
import threading

from google.protobuf import json_format
from quickstart import api_key

import switchboard
from switchboard.v1 import event_service_pb2 as events
from switchboard.v1 import integration_service_pb2 as integrations
from switchboard.v1 import messaging_service_pb2 as messaging


def receiver(host: str, received: queue.Queue):
    """An HTTP server on a free port that puts each genuine event in `received`, once its
    `verifier` is set (it listens first: its URL is part of the subscription)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the stdlib's name)
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            try:
                event = self.server.verifier.verify(body, self.headers)
            except (AttributeError, switchboard.WebhookVerificationError):
                self.send_response(400)  # not from switchboard: ignore it
            else:
                received.put(event)
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((host, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    address = os.environ.get("SWITCHBOARD_ADDR", "localhost:50051")
    team_id = os.environ.get("SWITCHBOARD_TEAM_ID", "example-team")
    with switchboard.Client(address, api_key(), tls=False) as client:
        # 1. A webhook subscription to the team's delivery events; the secret is shown once.
        webhooks: queue.Queue = queue.Queue()
        host = os.environ.get("SWITCHBOARD_WEBHOOK_HOST", "127.0.0.1")
        server = receiver(host, webhooks)
        subscription = client.events.CreateWebhookSubscription(
            events.CreateWebhookSubscriptionRequest(
                subscription=events.WebhookSubscription(
                    team_id=team_id,
                    url=f"http://{host}:{server.server_address[1]}/webhooks",
                    event_types=["delivery.sent"],
                )
            )
        )
        server.verifier = switchboard.WebhookVerifier(subscription.signing_secret)
        print(f"webhook subscription {subscription.id} -> {subscription.url}")

        # 2. The stream of the team's delivery events, from the start of the log.
        stream = client.stream_events(
            events.StreamEventsRequest(team_id=team_id, types=["delivery.sent"])
        )
        streamed: queue.Queue = queue.Queue()

        def follow():
            try:
                for event in stream:
                    streamed.put(event)
            except switchboard.SwitchboardError as error:
                streamed.put(error)

        threading.Thread(target=follow, daemon=True).start()

        try:
            # 3. Something to hear about: a message to the team's integration.
            integration = next(
                client.iter_integrations(integrations.ListIntegrationsRequest(team_id=team_id)),
                None,
            )
            if integration is None:
                raise SystemExit(f"team {team_id} has no integration: run the quickstart first")
            sent = client.messaging.SendMessage(
                messaging.SendMessageRequest(
                    integration_id=integration.id,
                    message=messaging.Message(text="Hello from the events example"),
                    wait_for_delivery=True,
                )
            )
            # 4. Both see its delivery.sent (the stream replays older ones first).
            for name, source in (("stream", streamed), ("webhook", webhooks)):
                while True:
                    event = source.get(timeout=60)
                    if isinstance(event, Exception):
                        raise event
                    if event.delivery_sent.internal_message_id == sent.internal_message_id:
                        print(f"{name}: {json_format.MessageToJson(event)}")
                        break
            print(f"resume the stream later from cursor {stream.cursor!r}")
        finally:
            stream.close()
            server.shutdown()
            client.events.DeleteWebhookSubscription(
                events.DeleteWebhookSubscriptionRequest(subscription_id=subscription.id)
            )


if __name__ == "__main__":
    main()
