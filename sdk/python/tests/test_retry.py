"""Retries: a send whose answer is lost is retried with the same id and posts once; retries
stop at the call's deadline."""

import concurrent.futures
import os
import socket
import time
import uuid

import grpc
import pytest
from conftest import API_KEY, http, poll, sim

import switchboard
from switchboard.v1 import integration_service_pb2 as integrations
from switchboard.v1 import messaging_service_pb2 as messaging


def test_a_send_retried_after_a_restart_posts_exactly_once(connected, recorded_client, recorder):
    workspace = connected.slack_workspace.workspace_id
    sim(
        "POST",
        "/_sim/faults",
        {"method": "chat.postMessage", "kind": "hold", "times": 1, "workspace_id": workspace},
    )
    posts_before = len(sim("GET", "/_sim/calls?method=chat.postMessage"))
    request = messaging.SendMessageRequest(
        integration_id=connected.id,
        message=messaging.Message(text="exactly once"),
        wait_for_delivery=True,
    )

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        sending = pool.submit(recorded_client.messaging.SendMessage, request)
        # Slack has the post and holds it: the service is killed before it hears back, and
        # the client sees the call fail with UNAVAILABLE.
        poll(
            lambda: len(sim("GET", "/_sim/calls?method=chat.postMessage")) > posts_before,
            "the post",
        )
        http("POST", os.environ["SWITCHBOARD_HARNESS_URL"] + "/restart")
        sim("POST", "/_sim/faults/release")
        delivery = sending.result(timeout=60)

    attempts = recorder.requests("SendMessage")
    assert len(attempts) >= 2
    assert {a.internal_message_id for a in attempts} == {delivery.internal_message_id}
    uuid.UUID(delivery.internal_message_id)
    assert not request.internal_message_id  # the caller's request is left as it was
    assert delivery.state == messaging.DELIVERY_STATE_SENT
    posted = [
        m
        for m in sim("GET", "/_sim/messages")["messages"]
        if (m.get("metadata") or {}).get("event_payload", {}).get("delivery_id") == delivery.id
    ]
    assert len(posted) == 1
    assert posted[0]["ts"] == delivery.slack_ts


@pytest.fixture
def nowhere():
    """An address nothing listens on: every attempt answers UNAVAILABLE at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize(("client_timeout", "call_timeout"), [(0.8, None), (30.0, 0.8)])
def test_retries_stop_at_the_deadline(nowhere, client_timeout, call_timeout):
    with switchboard.Client(nowhere, API_KEY, tls=False, timeout=client_timeout) as client:
        started = time.monotonic()
        with pytest.raises(switchboard.SwitchboardError) as raised:
            client.messaging.GetDelivery(
                messaging.GetDeliveryRequest(delivery_id="any"), timeout=call_timeout
            )
    # Five attempts would pause at least 0.1 + 0.2 + 0.4 + 0.8 s.
    assert time.monotonic() - started < 1.0
    assert raised.value.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def test_retries_give_up_after_max_attempts(nowhere, recorder):
    policy = switchboard.RetryPolicy(max_attempts=3, initial_backoff=0.01)
    with switchboard.Client(
        nowhere, API_KEY, tls=False, retry=policy, interceptors=[recorder]
    ) as client:
        with pytest.raises(switchboard.SwitchboardError) as raised:
            client.messaging.GetDelivery(messaging.GetDeliveryRequest(delivery_id="any"))
    assert raised.value.code is grpc.StatusCode.UNAVAILABLE
    assert len(recorder.attempts) == 3


def test_only_unavailable_is_retried(recorded_client, recorder):
    with pytest.raises(switchboard.SwitchboardError) as raised:
        recorded_client.messaging.GetDelivery(
            messaging.GetDeliveryRequest(delivery_id=str(uuid.uuid4()))
        )
    assert raised.value.code is not grpc.StatusCode.UNAVAILABLE
    assert len(recorder.attempts) == 1


def test_calls_get_the_default_deadline_unless_they_set_their_own(recorded_client, recorder):
    recorded_client.integrations.ListPlatforms(integrations.ListPlatformsRequest())
    recorded_client.integrations.ListPlatforms(integrations.ListPlatformsRequest(), timeout=5)
    (_, _, default), (_, _, chosen) = recorder.attempts
    assert 29 < default <= 30
    assert 4 < chosen <= 5
