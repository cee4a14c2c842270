"""What `Client` adds to every call of the generated stubs, as one gRPC interceptor:
the credential, the default deadline, client-side ids, retries and typed errors."""

from __future__ import annotations

import collections
import copy
import time
import uuid

import grpc

from switchboard.errors import from_rpc_error
from switchboard.retry import RetryPolicy
from switchboard.v1 import messaging_service_pb2

# Requests whose empty internal_message_id the client fills: the service deduplicates on it,
# so a retry of a send whose answer was lost returns the first delivery instead of posting
# again.
_MESSAGE_ID_REQUESTS = (
    messaging_service_pb2.SendMessageRequest,
    messaging_service_pb2.ReplyToMessageRequest,
)


class _CallDetails(
    collections.namedtuple(
        "_CallDetails", "method timeout metadata credentials wait_for_ready compression"
    ),
    grpc.ClientCallDetails,
):
    pass


def _fill_ids(message) -> None:
    if isinstance(message, _MESSAGE_ID_REQUESTS) and not message.internal_message_id:
        message.internal_message_id = str(uuid.uuid4())
    # AIP-155 idempotency key of the other mutations (ReconnectIntegration, UpdateMessage,
    # DeleteMessage, BatchSendMessages): a repeat with the same request_id answers the first.
    if "request_id" in message.DESCRIPTOR.fields_by_name and not message.request_id:
        message.request_id = str(uuid.uuid4())
    if isinstance(message, messaging_service_pb2.BatchSendMessagesRequest):
        for item in message.requests:
            _fill_ids(item)


def with_ids(request):
    """A copy of `request` with every missing id filled. The caller's message is left as it
    is, so reusing it for another call does not reuse its ids."""
    filled = copy.deepcopy(request)
    _fill_ids(filled)
    return filled


class Interceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def __init__(self, credential: str | None, timeout: float | None, retry: RetryPolicy | None):
        self._auth = [("authorization", f"Bearer {credential}")] if credential else []
        self._timeout = timeout
        self._retry = retry

    def intercept_unary_unary(self, continuation, client_call_details, request):
        # Ids are filled once, before the first attempt, so every retry carries the same.
        request = with_ids(request)
        timeout = client_call_details.timeout
        if timeout is None:
            timeout = self._timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        metadata = [*(client_call_details.metadata or ()), *self._auth]
        attempt = 0
        while True:
            attempt += 1
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            outcome = continuation(
                _CallDetails(
                    client_call_details.method,
                    remaining,
                    metadata,
                    client_call_details.credentials,
                    client_call_details.wait_for_ready,
                    client_call_details.compression,
                ),
                request,
            )
            rpc_error = outcome.exception()
            if rpc_error is None:
                return outcome
            if not isinstance(rpc_error, grpc.RpcError):
                # Not an answer of the service (e.g. a request that does not serialize).
                raise rpc_error
            error = from_rpc_error(rpc_error)
            pause = self._retry.pause(attempt, error) if self._retry else None
            if pause is None or (deadline is not None and time.monotonic() + pause >= deadline):
                raise error from rpc_error
            time.sleep(pause)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        # A stream (StreamEvents) carries the credential only: it follows until cancelled, so
        # no default deadline, and switchboard.EventStream resumes it from its cursor.
        metadata = [*(client_call_details.metadata or ()), *self._auth]
        details = client_call_details
        return continuation(
            _CallDetails(
                details.method,
                details.timeout,
                metadata,
                details.credentials,
                details.wait_for_ready,
                details.compression,
            ),
            request,
        )
