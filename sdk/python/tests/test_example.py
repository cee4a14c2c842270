"""examples/quickstart.py runs as its README says, a second time too, and Slack gets the
deployment notice with the reply in its thread."""

import os
import subprocess
import sys

from conftest import EXAMPLE, sim, unique

from switchboard.v1 import integration_service_pb2 as integrations
from switchboard.v1 import messaging_service_pb2 as messaging


def test_the_example_installs_sends_and_replies_twice_over(client):
    team = unique("team")
    env = dict(os.environ, SWITCHBOARD_TEAM_ID=team)
    runs = [
        subprocess.run(
            [sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=120
        )
        for _ in range(2)
    ]

    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr
    first_run, second_run = (run.stdout.splitlines() for run in runs)
    assert first_run[0].startswith("installed 'Demo Workspace'")
    # The duplicate install of the same run, and on the second run the first one too.
    assert all(
        "already installed (INTEGRATION_ALREADY_EXISTS): reconnected" in line
        for line in (first_run[1], second_run[0], second_run[1])
    )
    assert f"dashboard of {team}:" in runs[1].stdout

    [integration] = client.iter_integrations(integrations.ListIntegrationsRequest(team_id=team))
    deliveries = list(
        client.iter_deliveries(messaging.ListDeliveriesRequest(integration_id=integration.id))
    )
    assert [d.kind for d in deliveries] == [
        messaging.DELIVERY_KIND_POST,
        messaging.DELIVERY_KIND_REPLY,
    ] * 2
    slack = {(m["channel"], m["ts"]): m for m in sim("GET", "/_sim/messages")["messages"]}
    for post, reply in (deliveries[0:2], deliveries[2:4]):
        assert {post.state, reply.state} == {messaging.DELIVERY_STATE_SENT}
        notice = slack[(post.channel_id, post.slack_ts)]
        assert all(word in notice["text"] for word in ("api", "production", "1.4.2"))
        assert slack[(reply.channel_id, reply.slack_ts)]["thread_ts"] == post.slack_ts
