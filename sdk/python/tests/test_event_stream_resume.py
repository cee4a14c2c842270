"""EventStream against an in-process EventService that drops the stream: what the helper
itself does (resume from the last cursor, stop on what a retry cannot cure), checked
without the real service, so it runs before the service side of EventService exists."""

import threading
from concurrent import futures

import grpc
import pytest

import switchboard
from switchboard.v1 import event_service_pb2 as events
from switchboard.v1 import event_service_pb2_grpc


class FlakyLog(event_service_pb2_grpc.EventServiceServicer):
    """A log of `size` events (cursor = position); each call ends with UNAVAILABLE after
    `drop_after` events, or at once with `refuse`. Records every call's `after`."""

    def __init__(self, size=0, drop_after=None, refuse=None):
        self.size, self.drop_after, self.refuse = size, drop_after, refuse
        self.afters = []

    def StreamEvents(self, request, context):  # noqa: N802 (the generated name)
        self.afters.append(request.after)
        if self.refuse is not None:
            context.abort(self.refuse, "refused")
        start = int(request.after) + 1 if request.after else 0
        for sent, position in enumerate(range(start, self.size)):
            if sent == self.drop_after:
                context.abort(grpc.StatusCode.UNAVAILABLE, "dropped")
            yield events.Event(id=f"evt-{position}", cursor=str(position))
        # Then it follows: nothing new comes until the client leaves.
        left = threading.Event()
        context.add_callback(left.set)
        left.wait()


@pytest.fixture
def serve():
    servers = []

    def start(log):
        server = grpc.server(futures.ThreadPoolExecutor(4))
        event_service_pb2_grpc.add_EventServiceServicer_to_server(log, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        return switchboard.Client(f"127.0.0.1:{port}", None, tls=False)

    yield start
    for server in servers:
        server.stop(None)


def test_the_stream_resumes_from_the_last_cursor_after_each_drop(serve):
    log = FlakyLog(size=7, drop_after=3)
    stream = serve(log).stream_events(initial_backoff=0.001, max_backoff=0.01)

    ids = []
    for event in stream:
        ids.append(event.id)
        if len(ids) == 7:
            break

    assert ids == [f"evt-{n}" for n in range(7)]
    assert log.afters == ["", "2", "5"]
    assert stream.cursor == "6"


@pytest.mark.parametrize(
    "code",
    [
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.UNIMPLEMENTED,
    ],
)
def test_what_a_retry_cannot_cure_is_raised_at_once(serve, code):
    log = FlakyLog(refuse=code)

    with pytest.raises(switchboard.SwitchboardError) as raised:
        next(iter(serve(log).stream_events(initial_backoff=0.001)))

    assert raised.value.code is code
    assert log.afters == [""]


def test_the_stream_gives_up_after_max_failures(serve):
    log = FlakyLog(size=5, drop_after=0)
    request = events.StreamEventsRequest(after="1")

    with pytest.raises(switchboard.SwitchboardError) as raised:
        next(iter(serve(log).stream_events(request, initial_backoff=0.001, max_failures=2)))

    assert raised.value.code is grpc.StatusCode.UNAVAILABLE
    assert log.afters == ["1", "1", "1"]
