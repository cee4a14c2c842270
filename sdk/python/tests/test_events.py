"""The event stream helper against the live service."""

import os
import queue
import threading

import grpc
import pytest
from conftest import ADDRESS, http, install, new_workspace, team_token, unique

import switchboard
from switchboard.v1 import channel_service_pb2 as channels
from switchboard.v1 import event_service_pb2 as events
from switchboard.v1 import messaging_service_pb2 as messaging


def follow(stream: switchboard.EventStream) -> queue.Queue:
    """Iterates `stream` in a thread, handing over each event (or the error that ended it)."""
    received: queue.Queue = queue.Queue()

    def run():
        try:
            for event in stream:
                received.put(event)
        except switchboard.SwitchboardError as error:
            received.put(error)

    threading.Thread(target=run, daemon=True).start()
    return received


def test_a_stream_resumed_after_a_restart_misses_nothing_and_repeats_nothing(client):
    team = unique("team")
    workspace, channel_ids = new_workspace("deploys")
    integration = install(client, team, workspace)
    stream = client.stream_events(
        events.StreamEventsRequest(team_id=team), initial_backoff=0.05, max_backoff=1.0
    )
    received = follow(stream)
    first = received.get(timeout=30)
    assert (first.type, first.integration_id) == ("integration.created", integration.id)

    # The connection drops (SIGKILL); events are written while the stream reconnects.
    http("POST", os.environ["SWITCHBOARD_HARNESS_URL"] + "/restart")
    client.channels.SetNotificationChannel(
        channels.SetNotificationChannelRequest(
            integration_id=integration.id, channel_id=channel_ids["deploys"]
        )
    )
    sent = client.messaging.SendMessage(
        messaging.SendMessageRequest(
            integration_id=integration.id,
            message=messaging.Message(text="after the restart"),
            wait_for_delivery=True,
        )
    )
    streamed = [first]
    while streamed[-1].delivery_sent.internal_message_id != sent.internal_message_id:
        streamed.append(received.get(timeout=30))
    stream.close()

    logged = client.events.ListEvents(events.ListEventsRequest(team_id=team, page_size=100))
    assert list(logged.events) == streamed
    assert stream.cursor == streamed[-1].cursor


@pytest.mark.parametrize(
    "credential, request_, codes",
    [
        pytest.param(
            team_token(unique("team")),
            events.StreamEventsRequest(team_id=unique("team")),
            {grpc.StatusCode.PERMISSION_DENIED},
            id="another team's events",
        ),
        pytest.param(
            None,
            events.StreamEventsRequest(after="not-a-cursor"),
            {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OUT_OF_RANGE},
            id="a cursor that is not one",
        ),
    ],
)
def test_errors_a_retry_cannot_cure_end_the_stream(credential, request_, codes):
    key = credential or os.environ["SWITCHBOARD_API_KEY"]
    with switchboard.Client(ADDRESS, key, tls=False) as caller:
        with pytest.raises(switchboard.SwitchboardError) as raised:
            next(iter(caller.stream_events(request_)))

    assert raised.value.code in codes
    if raised.value.code is grpc.StatusCode.OUT_OF_RANGE:
        assert raised.value.reason == switchboard.EVENT_CURSOR_EXPIRED
