"""examples/events.py, after the quickstart, sees its message's delivery.sent on the stream
and as a verified webhook."""

import os
import subprocess
import sys

from conftest import EXAMPLE, unique


def test_the_events_example_streams_and_verifies_a_webhook():
    env = dict(os.environ, SWITCHBOARD_TEAM_ID=unique("team"))
    for script in (EXAMPLE, EXAMPLE.parent / "events.py"):
        run = subprocess.run(
            [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stdout + run.stderr

    assert "stream: {" in run.stdout
    assert "webhook: {" in run.stdout
    assert '"deliverySent"' in run.stdout
