"""Each kind of detail the service attaches arrives decoded on SwitchboardError."""

import datetime
import time

import grpc
import pytest
from conftest import ADDRESS, API_KEY, install, new_workspace, sim, unique

import switchboard
from switchboard.v1 import integration_service_pb2 as integrations
from switchboard.v1 import messaging_service_pb2 as messaging


def test_invalid_argument_lists_the_bad_fields(client):
    with pytest.raises(switchboard.SwitchboardError) as raised:
        client.messaging.SendMessage(
            messaging.SendMessageRequest(message=messaging.Message(text="hi"))
        )
    error = raised.value
    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    assert error.domain == "switchboard"
    assert [v.field for v in error.field_violations] == ["integration_id"]
    assert all(v.description for v in error.field_violations)


def test_a_duplicate_install_carries_what_reconnects_it(client):
    team, workspace = unique("team"), new_workspace()[0]
    first = install(client, team, workspace)

    with pytest.raises(switchboard.SwitchboardError) as raised:
        install(client, team, workspace)
    error = raised.value
    assert error.code is grpc.StatusCode.ALREADY_EXISTS
    assert error.reason == "INTEGRATION_ALREADY_EXISTS"
    assert error.metadata == {
        "integration_id": first.id,
        "team_id": team,
        "workspace_id": workspace,
    }
    assert error.reconnect.existing_integration.id == first.id
    expires = error.reconnect.reconnect_token_expire_time.ToDatetime(datetime.timezone.utc)
    assert expires > datetime.datetime.now(datetime.timezone.utc)

    reconnected = client.integrations.ReconnectIntegration(
        integrations.ReconnectIntegrationRequest(
            integration_id=error.reconnect.existing_integration.id,
            reconnect_token=error.reconnect.reconnect_token,
        )
    )
    assert reconnected.id == first.id
    assert reconnected.reconnect_count == first.reconnect_count + 1


def rate_limited_install(client):
    """An install whose code exchange Slack answers once with 429 Retry-After: 1."""
    team, workspace = unique("team"), new_workspace()[0]
    sim(
        "POST",
        "/_sim/faults",
        {"method": "oauth.v2.access", "kind": "rate_limited", "retry_after": 1, "times": 1},
    )
    return install(client, team, workspace)


def test_unavailable_tells_how_long_to_wait():
    with switchboard.Client(ADDRESS, API_KEY, tls=False, retry=None) as client:
        with pytest.raises(switchboard.SwitchboardError) as raised:
            rate_limited_install(client)
    assert raised.value.code is grpc.StatusCode.UNAVAILABLE
    assert raised.value.retry_delay == 1.0


def test_a_retry_waits_at_least_the_delay_the_service_asks_for(client):
    exchanges = len(sim("GET", "/_sim/calls?method=oauth.v2.access"))
    started = time.monotonic()
    integration = rate_limited_install(client)
    # The policy's own first pause is at most 0.2 s: the 1 s came from RetryInfo.
    assert time.monotonic() - started >= 1.0
    assert integration.id
    assert len(sim("GET", "/_sim/calls?method=oauth.v2.access")) == exchanges + 2


def test_a_batch_item_error_is_typed_too(connected, client):
    answer = client.messaging.BatchSendMessages(
        messaging.BatchSendMessagesRequest(
            requests=[
                messaging.SendMessageRequest(
                    integration_id=connected.id, message=messaging.Message(text="fine")
                ),
                messaging.SendMessageRequest(
                    integration_id=connected.id, message=messaging.Message()
                ),
            ]
        )
    )
    assert answer.results[0].WhichOneof("result") == "delivery"
    error = switchboard.SwitchboardError(answer.results[1].error)
    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    assert error.field_violations
