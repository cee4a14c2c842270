"""The client gives every mutation the ids that make a retry safe, before its first
attempt, and leaves the ids a caller chose alone."""

import uuid

import pytest
from conftest import install

import switchboard
from switchboard.v1 import integration_service_pb2 as integrations
from switchboard.v1 import messaging_service_pb2 as messaging


def text(value):
    return messaging.Message(text=value)


def test_a_send_without_an_id_gets_a_fresh_uuid_each_call(connected, client):
    request = messaging.SendMessageRequest(integration_id=connected.id, message=text("twice"))
    first = client.messaging.SendMessage(request)
    second = client.messaging.SendMessage(request)

    assert uuid.UUID(first.internal_message_id) != uuid.UUID(second.internal_message_id)
    assert first.id != second.id
    assert not request.internal_message_id


def test_every_mutation_gets_its_ids(connected, client, recorded_client, recorder):
    messages = recorded_client.messaging
    sent = messages.SendMessage(
        messaging.SendMessageRequest(
            integration_id=connected.id, message=text("parent"), wait_for_delivery=True
        )
    )
    reply = messages.ReplyToMessage(
        messaging.ReplyToMessageRequest(
            integration_id=connected.id,
            parent_internal_message_id=sent.internal_message_id,
            message=text("reply"),
        )
    )
    messages.UpdateMessage(
        messaging.UpdateMessageRequest(
            integration_id=connected.id,
            internal_message_id=sent.internal_message_id,
            message=text("edited"),
        )
    )
    messages.DeleteMessage(
        messaging.DeleteMessageRequest(
            integration_id=connected.id, internal_message_id=sent.internal_message_id
        )
    )
    batch = messages.BatchSendMessages(
        messaging.BatchSendMessagesRequest(
            requests=[
                messaging.SendMessageRequest(integration_id=connected.id, message=text(f"item {n}"))
                for n in range(2)
            ]
        )
    )
    with pytest.raises(switchboard.SwitchboardError) as duplicate:
        install(client, connected.team_id, connected.slack_workspace.workspace_id)
    recorded_client.integrations.ReconnectIntegration(
        integrations.ReconnectIntegrationRequest(
            integration_id=connected.id, reconnect_token=duplicate.value.reconnect.reconnect_token
        )
    )

    for delivery in (sent, reply, *(r.delivery for r in batch.results)):
        uuid.UUID(delivery.internal_message_id)
    [batch_request] = recorder.requests("BatchSendMessages")
    assert [i.internal_message_id for i in batch_request.requests] == [
        r.delivery.internal_message_id for r in batch.results
    ]
    request_ids = [
        recorder.requests(method)[0].request_id
        for method in (
            "UpdateMessage",
            "DeleteMessage",
            "BatchSendMessages",
            "ReconnectIntegration",
        )
    ]
    assert len({uuid.UUID(request_id) for request_id in request_ids}) == 4


def test_ids_the_caller_chose_are_kept(connected, recorded_client, recorder):
    parent_id, reply_id = f"deploy-{uuid.uuid4()}", f"smoke-{uuid.uuid4()}"
    sent = recorded_client.messaging.SendMessage(
        messaging.SendMessageRequest(
            integration_id=connected.id, internal_message_id=parent_id, message=text("mine")
        )
    )
    reply = recorded_client.messaging.ReplyToMessage(
        messaging.ReplyToMessageRequest(
            integration_id=connected.id,
            parent_internal_message_id=parent_id,
            internal_message_id=reply_id,
            message=text("mine too"),
        )
    )
    recorded_client.messaging.BatchSendMessages(
        messaging.BatchSendMessagesRequest(request_id="my-batch")
    )

    assert (sent.internal_message_id, reply.internal_message_id) == (parent_id, reply_id)
    assert recorder.requests("BatchSendMessages")[0].request_id == "my-batch"
