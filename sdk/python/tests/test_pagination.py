"""The iterators walk every page of a listing, in order, fetching a page only when needed."""

from conftest import install, new_workspace, sim, unique

from switchboard.v1 import channel_service_pb2 as channels
from switchboard.v1 import integration_service_pb2 as integrations
from switchboard.v1 import messaging_service_pb2 as messaging


def test_iter_integrations_fetches_pages_as_they_are_needed(client, recorded_client, recorder):
    team = unique("team")
    created = [install(client, team, new_workspace()[0]).id for _ in range(3)]
    request = integrations.ListIntegrationsRequest(team_id=team, page_size=1)

    items = recorded_client.iter_integrations(request)
    assert recorder.attempts == []
    first = next(items)
    assert len(recorder.requests("ListIntegrations")) == 1
    listed = [first.id, *(integration.id for integration in items)]

    assert listed == created
    tokens = [page.page_token for page in recorder.requests("ListIntegrations")]
    assert tokens[0] == "" and len(tokens) >= 3 and all(tokens[1:])
    assert not request.page_token


def test_iter_channels_lists_every_channel_once_in_name_order(client):
    workspace, _ = new_workspace("alerts")
    sim("POST", f"/_sim/workspaces/{workspace}/channels", {"name": "team", "count": 5})
    integration = install(client, unique("team"), workspace)

    names = [
        c.name
        for c in client.iter_channels(
            channels.ListChannelsRequest(integration_id=integration.id, page_size=2)
        )
    ]

    assert names == ["alerts", *(f"team-{n:04}" for n in range(5))]


def test_iter_deliveries_matches_one_big_page(connected, client):
    sent = [
        client.messaging.SendMessage(
            messaging.SendMessageRequest(
                integration_id=connected.id, message=messaging.Message(text=f"message {n}")
            )
        ).id
        for n in range(5)
    ]

    paged = [
        d.id
        for d in client.iter_deliveries(
            messaging.ListDeliveriesRequest(integration_id=connected.id, page_size=2)
        )
    ]
    whole = client.messaging.ListDeliveries(
        messaging.ListDeliveriesRequest(integration_id=connected.id, page_size=500)
    )

    assert paged == [d.id for d in whole.deliveries]
    assert sorted(paged) == sorted(sent)
