"""What the tests share. They run against the real switchboard, Postgres and slack-sim that
scripts/sdk_harness.py starts (`scripts/sdk/python.sh test` under it), over real sockets."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import pathlib
import sys
import time
import urllib.request
import uuid

import grpc
import pytest

import switchboard
from switchboard.v1 import channel_service_pb2 as channels
from switchboard.v1 import integration_service_pb2 as integrations

ADDRESS = os.environ["SWITCHBOARD_ADDR"]
API_KEY = os.environ["SWITCHBOARD_API_KEY"]
EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"

# The example's OAuth steps are the ones a test needs too: reuse them rather than copy them.
sys.path.insert(0, str(EXAMPLE.parent))
import quickstart  # noqa: E402


def http(method: str, url: str, body: dict | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read()
        return json.loads(text) if text else None


def sim(method: str, path: str, body: dict | None = None):
    """slack-sim's control API (README.md, "slack-sim")."""
    return http(method, os.environ["SLACK_SIM_URL"] + path, body)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def poll(condition, what: str, seconds: float = 30.0):
    """condition()'s first truthy value, checked until `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def new_workspace(*channel_names: str) -> tuple[str, dict[str, str]]:
    """A fresh slack-sim workspace with public channels: its id and {name: channel id}."""
    workspace = sim("POST", "/_sim/workspaces", {"name": unique("Workspace")})["id"]
    ids = {}
    for name in channel_names:
        ids[name] = sim("POST", f"/_sim/workspaces/{workspace}/channels", {"name": name})[0]["id"]
    return workspace, ids


def install(client: switchboard.Client, team_id: str, workspace_id: str):
    """Completes an OAuth install of the workspace for the team (raises SwitchboardError)."""
    start = client.integrations.StartSlackOAuth(
        integrations.StartSlackOAuthRequest(team_id=team_id)
    )
    code, state = quickstart.authorize(start.authorize_url, workspace_id)
    return client.integrations.CompleteSlackOAuth(
        integrations.CompleteSlackOAuthRequest(code=code, state=state)
    )


def team_token(team_id: str, secret: str | None = None) -> str:
    """A team token as the service takes it: an HS256 JWT with team_id and exp."""

    def encode(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    header = encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = encode(json.dumps({"team_id": team_id, "exp": int(time.time()) + 600}).encode())
    signed = header + b"." + claims
    key = (secret or os.environ["SWITCHBOARD_JWT_SECRET"]).encode()
    return (signed + b"." + encode(hmac.new(key, signed, hashlib.sha256).digest())).decode()


class Recorder(grpc.UnaryUnaryClientInterceptor):
    """Sees every attempt as it leaves the client (it runs after the client's own
    interceptor): the method, the request with its filled ids, the per-attempt timeout."""

    def __init__(self):
        self.attempts: list[tuple[str, object, float | None]] = []

    def intercept_unary_unary(self, continuation, client_call_details, request):
        # A copy: the iterators reuse one request object for every page.
        self.attempts.append(
            (client_call_details.method, copy.deepcopy(request), client_call_details.timeout)
        )
        return continuation(client_call_details, request)

    def requests(self, method: str) -> list:
        return [request for name, request, _ in self.attempts if name.endswith("/" + method)]


@pytest.fixture
def client():
    with switchboard.Client(ADDRESS, API_KEY, tls=False) as client:
        yield client


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def recorded_client(recorder):
    with switchboard.Client(ADDRESS, API_KEY, tls=False, interceptors=[recorder]) as client:
        yield client


@pytest.fixture
def connected(client):
    """An integration of a fresh team and workspace whose notification channel is #alerts."""
    workspace, channel_ids = new_workspace("alerts")
    integration = install(client, unique("team"), workspace)
    client.channels.SetNotificationChannel(
        channels.SetNotificationChannelRequest(
            integration_id=integration.id, channel_id=channel_ids["alerts"]
        )
    )
    return integration
