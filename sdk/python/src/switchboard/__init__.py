"""Python client of switchboard.

    import switchboard
    from switchboard.v1 import integration_service_pb2 as integrations

    with switchboard.Client("localhost:50051", key, tls=False) as client:
        page = client.integrations.ListIntegrations(integrations.ListIntegrationsRequest())

The generated modules are `switchboard.v1.<file>_pb2` (messages) and `_pb2_grpc` (stubs).
"""

from switchboard.client import Client
from switchboard.errors import FieldViolation, SwitchboardError, from_rpc_error
from switchboard.events import EVENT_CURSOR_EXPIRED, EventStream
from switchboard.retry import RetryPolicy
from switchboard.webhooks import WebhookVerificationError, WebhookVerifier

__all__ = [
    "EVENT_CURSOR_EXPIRED",
    "Client",
    "EventStream",
    "FieldViolation",
    "RetryPolicy",
    "SwitchboardError",
    "WebhookVerificationError",
    "WebhookVerifier",
    "from_rpc_error",
]
