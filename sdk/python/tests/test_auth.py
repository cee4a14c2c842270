"""The credential goes out as `authorization: Bearer` on every call, and the service's
answer to a missing or foreign one arrives typed."""

import grpc
import pytest
from conftest import ADDRESS, install, new_workspace, team_token, unique

import switchboard
from switchboard.v1 import integration_service_pb2 as integrations


@pytest.mark.parametrize(
    ("credential", "reason"), [(None, "CREDENTIAL_MISSING"), ("not-a-key", "CREDENTIAL_INVALID")]
)
def test_without_a_valid_credential_calls_are_unauthenticated(credential, reason):
    with switchboard.Client(ADDRESS, credential, tls=False) as client:
        with pytest.raises(switchboard.SwitchboardError) as raised:
            client.integrations.ListPlatforms(integrations.ListPlatformsRequest())
    assert raised.value.code is grpc.StatusCode.UNAUTHENTICATED
    assert (raised.value.reason, raised.value.domain) == (reason, "switchboard")


def test_a_team_token_reaches_its_own_team_only(client):
    ours, theirs = unique("team"), unique("team")
    our_integration = install(client, ours, new_workspace()[0])
    their_integration = install(client, theirs, new_workspace()[0])

    with switchboard.Client(ADDRESS, team_token(ours), tls=False) as team_client:
        listed = team_client.integrations.ListIntegrations(integrations.ListIntegrationsRequest())
        assert [i.id for i in listed.integrations] == [our_integration.id]
        with pytest.raises(switchboard.SwitchboardError) as raised:
            team_client.integrations.GetIntegration(
                integrations.GetIntegrationRequest(integration_id=their_integration.id)
            )
    assert (raised.value.code, raised.value.reason) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "PERMISSION_DENIED",
    )


def test_a_token_signed_with_another_secret_is_refused():
    forged = team_token("any-team", secret="not-the-service-secret-but-long-enough")
    with switchboard.Client(ADDRESS, forged, tls=False) as client:
        with pytest.raises(switchboard.SwitchboardError) as raised:
            client.integrations.ListIntegrations(integrations.ListIntegrationsRequest())
    assert (raised.value.code, raised.value.reason) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "CREDENTIAL_INVALID",
    )
