"""`Client`: the generated stubs of the four services over one channel that authenticates,
sets a deadline, fills ids and retries, plus iterators over the paged listings."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import grpc

from switchboard._interceptor import Interceptor
from switchboard.events import EventStream
from switchboard.retry import RetryPolicy
from switchboard.v1 import (
    channel_service_pb2,
    channel_service_pb2_grpc,
    event_service_pb2,
    event_service_pb2_grpc,
    integration_service_pb2,
    integration_service_pb2_grpc,
    messaging_service_pb2,
    messaging_service_pb2_grpc,
    monitoring_service_pb2_grpc,
    resources_pb2,
)


class Client:
    """A connection to switchboard.

    `credential` is a service key or a team token (JWT), sent as `authorization: Bearer`
    on every call (None sends none: only health and reflection answer then). TLS uses
    gRPC's default roots unless `root_certificates` (PEM bytes) are given; `tls=False`
    talks plaintext (local development). Every call gets `timeout` seconds unless it
    passes its own (`client.messaging.SendMessage(request, timeout=60)`); None means no
    deadline. `retry=None` turns retries off; `interceptors` run after the client's own,
    once per attempt.

    The generated stubs are the API: `client.integrations` (IntegrationService),
    `client.channels` (ChannelService), `client.messaging` (MessagingService) and
    `client.monitoring` (MonitoringService), with the request types of `switchboard.v1`.
    A failed call raises `switchboard.SwitchboardError`.
    """

    def __init__(
        self,
        address: str,
        credential: str | None,
        *,
        tls: bool = True,
        root_certificates: bytes | None = None,
        timeout: float | None = 30.0,
        retry: RetryPolicy | None = RetryPolicy(),
        interceptors: Sequence[grpc.UnaryUnaryClientInterceptor] = (),
        options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        # gRPC waits 1 s before reconnecting a channel whose connection failed, and fails
        # calls at once meanwhile: reconnecting at the retry policy's pace lets retries find
        # a restarted service instead of spending their attempts on that wait.
        first_pause = (retry or RetryPolicy()).initial_backoff
        reconnect = {"grpc.initial_reconnect_backoff_ms": round(first_pause * 1000)}
        options = list({**reconnect, **dict(options)}.items())
        if tls:
            credentials = grpc.ssl_channel_credentials(root_certificates)
            self._channel = grpc.secure_channel(address, credentials, options)
        else:
            self._channel = grpc.insecure_channel(address, options)
        channel = grpc.intercept_channel(
            self._channel, Interceptor(credential, timeout, retry), *interceptors
        )
        self.integrations = integration_service_pb2_grpc.IntegrationServiceStub(channel)
        self.channels = channel_service_pb2_grpc.ChannelServiceStub(channel)
        self.messaging = messaging_service_pb2_grpc.MessagingServiceStub(channel)
        self.monitoring = monitoring_service_pb2_grpc.MonitoringServiceStub(channel)
        self.events = event_service_pb2_grpc.EventServiceStub(channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def iter_integrations(
        self, request: integration_service_pb2.ListIntegrationsRequest, **call_options: Any
    ) -> Iterator[resources_pb2.Integration]:
        """Every integration ListIntegrations answers for `request`, over all pages."""
        return _items(self.integrations.ListIntegrations, request, "integrations", call_options)

    def iter_channels(
        self, request: channel_service_pb2.ListChannelsRequest, **call_options: Any
    ) -> Iterator[channel_service_pb2.Channel]:
        """Every channel ListChannels answers for `request`, over all pages."""
        return _items(self.channels.ListChannels, request, "channels", call_options)

    def iter_deliveries(
        self, request: messaging_service_pb2.ListDeliveriesRequest, **call_options: Any
    ) -> Iterator[messaging_service_pb2.Delivery]:
        """Every delivery ListDeliveries answers for `request`, over all pages."""
        return _items(self.messaging.ListDeliveries, request, "deliveries", call_options)

    def stream_events(
        self,
        request: event_service_pb2.StreamEventsRequest | None = None,
        **options: Any,
    ) -> EventStream:
        """The events of `request` (team_id, types, after) as an `EventStream`: in log order,
        resumed from the last event's cursor whenever the stream drops. `options` are
        EventStream's (initial_backoff, max_backoff, max_failures, metadata)."""
        request = request or event_service_pb2.StreamEventsRequest()
        return EventStream(
            self.events,
            team_id=request.team_id,
            types=request.types,
            after=request.after,
            **options,
        )


def _items(list_page: Callable, request, field: str, call_options: dict) -> Iterator:
    # A generator: the next page is fetched only once the caller has consumed this one.
    # Paging sets page_token on a copy, so the caller's request stays as it was;
    # call_options (timeout, metadata) apply to each page's call.
    request = copy.deepcopy(request)
    while True:
        page = list_page(request, **call_options)
        yield from getattr(page, field)
        if not page.next_page_token:
            return
        request.page_token = page.next_page_token
