"""switchboard in ten minutes: connect a team's Slack workspace, choose the channel, send a
deployment notice and a threaded reply, then look at the figures.

Runs against `make run` (gRPC on localhost:50051, the key in .local/dev-api-key, slack-sim
approving installs) unless these say otherwise: SWITCHBOARD_ADDR, SWITCHBOARD_API_KEY,
SLACK_SIM_WORKSPACE_ID (the simulated workspace to install when there are several) and
SWITCHBOARD_TEAM_ID (default example-team).
"""

import http.client
import os
import pathlib
import sys
import urllib.parse

import switchboard
from switchboard.v1 import channel_service_pb2 as channels
from switchboard.v1 import integration_service_pb2 as integrations
from switchboard.v1 import messaging_service_pb2 as messaging
from switchboard.v1 import monitoring_service_pb2 as monitoring

REPOSITORY = pathlib.Path(__file__).resolve().parents[3]


def authorize(authorize_url: str, workspace: str | None) -> tuple[str, str]:
    """What the user's browser does: open Slack's authorize page, approve (slack-sim approves
    at once, for `workspace` when given), and come back to the app's redirect URI with
    `code` and `state`."""
    if workspace:
        authorize_url += "&" + urllib.parse.urlencode({"team": workspace})
    url = urllib.parse.urlsplit(authorize_url)
    connection = http.client.HTTPConnection(url.netloc, timeout=10)
    try:
        connection.request("GET", f"{url.path}?{url.query}")
        redirect = connection.getresponse().getheader("location") or ""
    finally:
        connection.close()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect).query)
    return query["code"][0], query["state"][0]


def install(client: switchboard.Client, team_id: str, workspace: str | None):
    """An OAuth install of the workspace for the team; a workspace the team already has is
    reconnected instead, with the tokens of this install."""
    start = client.integrations.StartSlackOAuth(
        integrations.StartSlackOAuthRequest(team_id=team_id)
    )
    code, state = authorize(start.authorize_url, workspace)
    try:
        integration = client.integrations.CompleteSlackOAuth(
            integrations.CompleteSlackOAuthRequest(code=code, state=state)
        )
        print(f"installed {integration.name!r}: integration {integration.id}")
    except switchboard.SwitchboardError as error:
        if error.reconnect is None:
            raise
        integration = client.integrations.ReconnectIntegration(
            integrations.ReconnectIntegrationRequest(
                integration_id=error.reconnect.existing_integration.id,
                reconnect_token=error.reconnect.reconnect_token,
            )
        )
        print(
            f"{integration.name!r} was already installed ({error.reason}): reconnected "
            f"integration {integration.id}, reconnect #{integration.reconnect_count}"
        )
    return integration


def api_key() -> str:
    """SWITCHBOARD_API_KEY, or the key `make run` keeps in .local/dev-api-key."""
    key = os.environ.get("SWITCHBOARD_API_KEY")
    if not key:
        key_file = REPOSITORY / ".local" / "dev-api-key"
        if not key_file.exists():
            sys.exit(
                f"no {key_file}: start the service with `make run`, or set SWITCHBOARD_API_KEY"
            )
        key = key_file.read_text().strip()
    return key


def main() -> None:
    address = os.environ.get("SWITCHBOARD_ADDR", "localhost:50051")
    key = api_key()
    team_id = os.environ.get("SWITCHBOARD_TEAM_ID", "example-team")
    workspace = os.environ.get("SLACK_SIM_WORKSPACE_ID")

    with switchboard.Client(address, key, tls=False) as client:
        integration = install(client, team_id, workspace)
        # The same workspace again: the service answers ALREADY_EXISTS with ReconnectDetails.
        install(client, team_id, workspace)

        alerts = next(
            channel
            for channel in client.iter_channels(
                channels.ListChannelsRequest(integration_id=integration.id)
            )
            if channel.name == "alerts"
        )
        chosen = client.channels.SetNotificationChannel(
            channels.SetNotificationChannelRequest(
                integration_id=integration.id, channel_id=alerts.id
            )
        )
        print(f"notifications go to #{chosen.channel_name} ({chosen.channel_id})")

        # No internal_message_id: the client gives the message one (a UUID), which the
        # reply then names as its parent.
        deployment = client.messaging.SendMessage(
            messaging.SendMessageRequest(
                integration_id=integration.id,
                message=messaging.Message(
                    template=messaging.MessageTemplate(
                        name="deployment",
                        variables={
                            "project": "api",
                            "environment": "production",
                            "version": "1.4.2",
                        },
                    )
                ),
                message_type="deployment",
                wait_for_delivery=True,
            )
        )
        reply = client.messaging.ReplyToMessage(
            messaging.ReplyToMessageRequest(
                integration_id=integration.id,
                parent_internal_message_id=deployment.internal_message_id,
                message=messaging.Message(text="Smoke tests passed :white_check_mark:"),
                wait_for_delivery=True,
            )
        )
        for name, delivery in (("deployment", deployment), ("reply", reply)):
            print(f"{name} delivery, {messaging.DeliveryState.Name(delivery.state)}:\n{delivery}")

        stats = client.monitoring.GetDashboardStats(
            monitoring.GetDashboardStatsRequest(team_id=team_id)
        )
        print(f"dashboard of {team_id}:\n{stats}")
        if {deployment.state, reply.state} != {messaging.DELIVERY_STATE_SENT}:
            sys.exit("a message was not delivered")


if __name__ == "__main__":
    main()
