"""Following the event log: StreamEvents, resumed from the last cursor when it drops."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Sequence

import grpc
from google.rpc import status_pb2

from switchboard.errors import SwitchboardError, from_rpc_error
from switchboard.v1 import event_service_pb2, event_service_pb2_grpc

# OUT_OF_RANGE's reason when the cursor is older than the retained log: resuming from it
# would skip events, so the stream ends with it instead.
EVENT_CURSOR_EXPIRED = "EVENT_CURSOR_EXPIRED"

# A dropped connection or a restarting service; every other code says something about the
# request (bad cursor, another team, no credential) that another try would not change.
_RECONNECTABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    }
)


class EventStream:
    """The events matching (team_id, types) after the cursor `after`, in log order, across
    dropped connections.

    Iterating yields `switchboard.v1.event_service_pb2.Event`s and follows new ones forever.
    `cursor` is the last yielded event's cursor (or `after`): when the stream drops, it
    reconnects with backoff (`initial_backoff` seconds, doubling to `max_backoff`, jittered,
    reset by each event) passing `after=cursor`, so nothing is missed or repeated. It
    raises `SwitchboardError` on the codes a retry cannot cure (INVALID_ARGUMENT,
    PERMISSION_DENIED, UNAUTHENTICATED, UNIMPLEMENTED, OUT_OF_RANGE with reason
    `EVENT_CURSOR_EXPIRED`), or after `max_failures` failed reconnects in a row (0: never).
    `close()` (from any thread) ends the iteration.
    """

    def __init__(
        self,
        stub: event_service_pb2_grpc.EventServiceStub,
        *,
        team_id: str = "",
        types: Sequence[str] = (),
        after: str = "",
        initial_backoff: float = 0.2,
        max_backoff: float = 5.0,
        max_failures: int = 0,
        metadata: Sequence[tuple[str, str]] = (),
    ) -> None:
        self._stub = stub
        self._team_id, self._types = team_id, list(types)
        self.cursor = after
        self._initial_backoff, self._max_backoff = initial_backoff, max_backoff
        self._max_failures = max_failures
        self._metadata = list(metadata)
        self._closed = threading.Event()
        self._call = None

    def close(self) -> None:
        self._closed.set()
        call = self._call
        if call is not None:
            call.cancel()

    def __iter__(self) -> Iterator[event_service_pb2.Event]:
        backoff, failures = self._initial_backoff, 0
        while not self._closed.is_set():
            request = event_service_pb2.StreamEventsRequest(
                team_id=self._team_id, types=self._types, after=self.cursor
            )
            self._call = self._stub.StreamEvents(request, metadata=self._metadata)
            try:
                for event in self._call:
                    backoff, failures = self._initial_backoff, 0
                    self.cursor = event.cursor
                    yield event
                # The service ended a stream that follows forever (a shutdown): resume.
                error = SwitchboardError(
                    status_pb2.Status(
                        code=grpc.StatusCode.UNAVAILABLE.value[0],
                        message="event stream ended by the service",
                    )
                )
            except grpc.RpcError as rpc_error:
                if self._closed.is_set():
                    return
                error = from_rpc_error(rpc_error)
                if error.code not in _RECONNECTABLE:
                    raise error from rpc_error
            finally:
                self._call.cancel()
            failures += 1
            if self._max_failures and failures > self._max_failures:
                raise error
            # Interruptible by close().
            if self._closed.wait(random.uniform(backoff / 2, backoff)):
                return
            backoff = min(2 * backoff, self._max_backoff)
