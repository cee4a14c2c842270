#!/usr/bin/env python3
"""Runs a command against a real switchboard: a fresh Postgres database, slack-sim and
`switchboard serve`, each on its own loopback port. The SDK test suites and examples run
under it (`scripts/sdk.sh test`).

    DATABASE_URL=postgres://.../postgres scripts/sdk_harness.py -- go test ./...

The command gets:
  SWITCHBOARD_ADDR          host:port of the gRPC API (plaintext)
  SWITCHBOARD_API_KEY       a service key
  SWITCHBOARD_JWT_SECRET    the HS256 secret of team tokens (tests mint their own)
  SLACK_SIM_URL             slack-sim's base URL (control API under /_sim)
  SLACK_SIM_WORKSPACE_ID    a workspace "Demo Workspace" with #general and #alerts, as
                            `make run` has (examples pass it as `team=` when authorizing)
  SWITCHBOARD_HARNESS_URL   POST /restart kills the service (SIGKILL) and starts it again
                            on the same ports; it answers once the new one is ready.

Only the standard library: it runs wherever the SDKs are tested.
"""

import http.server
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SWITCHBOARD_BIN_DIR", os.path.join(ROOT, "target", "debug"))
API_KEY = "sdk-test-service-key"
JWT_SECRET = "sdk-test-jwt-secret-that-is-long-enough"
REDIRECT_URI = "http://localhost:3000/slack/oauth/callback"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, what, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status < 500:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.05)
    sys.exit(f"sdk_harness: {what} did not come up at {url}")


def post_json(url, body):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read()
        return json.loads(text) if text else None


def psql(admin_url, sql):
    subprocess.run(["psql", admin_url, "-qAtc", sql], check=True, stdout=subprocess.DEVNULL)


class Service:
    """`switchboard serve` on fixed ports, restartable."""

    def __init__(self, env):
        self.env = env
        self.grpc_port = free_port()
        self.http_port = free_port()
        self.process = None

    def start(self):
        env = dict(
            self.env,
            SWITCHBOARD_GRPC_ADDR=f"127.0.0.1:{self.grpc_port}",
            SWITCHBOARD_HTTP_ADDR=f"127.0.0.1:{self.http_port}",
        )
        self.process = subprocess.Popen([os.path.join(BIN, "switchboard"), "serve"], env=env)
        wait_for(f"http://127.0.0.1:{self.http_port}/readyz", "switchboard")

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def restart(self):
        self.kill()
        self.start()


def control_server(service):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the stdlib's name)
            if self.path != "/restart":
                self.send_error(404)
                return
            service.restart()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        sys.exit("usage: sdk_harness.py -- COMMAND [ARGS...]")
    admin_url = os.environ["DATABASE_URL"]
    database = f"sbsdk_{secrets.token_hex(6)}"
    db_url = admin_url.rsplit("/", 1)[0] + "/" + database
    psql(admin_url, f"CREATE DATABASE {database}")

    sim = service = control = None
    try:
        sim_port = free_port()
        sim_url = f"http://127.0.0.1:{sim_port}"
        sim = subprocess.Popen(
            [os.path.join(BIN, "slack-sim"), "--addr", f"127.0.0.1:{sim_port}"],
            env=dict(os.environ, RUST_LOG="error"),
        )
        wait_for(f"{sim_url}/_sim/calls", "slack-sim")
        workspace = post_json(f"{sim_url}/_sim/workspaces", {"name": "Demo Workspace"})["id"]
        for channel in ("general", "alerts"):
            post_json(
                f"{sim_url}/_sim/workspaces/{workspace}/channels",
                {"name": channel, "purpose": f"Demo #{channel}"},
            )

        env = {
            "PATH": os.environ.get("PATH", ""),
            "DATABASE_URL": db_url,
            "SWITCHBOARD_API_KEYS": API_KEY,
            "SWITCHBOARD_JWT_SECRET": JWT_SECRET,
            "SWITCHBOARD_TOKEN_ENCRYPTION_KEY": "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=",
            "SLACK_CLIENT_ID": "sim-client-id",
            "SLACK_CLIENT_SECRET": "sim-client-secret",
            "SLACK_REDIRECT_URI": REDIRECT_URI,
            "SLACK_API_BASE_URL": f"{sim_url}/api",
            "SLACK_AUTHORIZE_URL": f"{sim_url}/oauth/v2/authorize",
            # A killed service's lanes free up soon, and a post of unknown outcome is
            # looked up soon after: tests of lost answers take seconds, not a minute.
            "SLACK_REQUEST_TIMEOUT_MS": "2000",
            "SWITCHBOARD_DELIVERY_LEASE_MS": "4000",
            "SWITCHBOARD_DELIVERY_SETTLE_GRACE_MS": "500",
            "SWITCHBOARD_DELIVERY_RETRY_BASE_MS": "100",
            # The SDK examples' webhook receivers listen on loopback.
            "SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE": "true",
            "RUST_LOG": os.environ.get("SDK_TEST_LOG", "error"),
        }
        subprocess.run([os.path.join(BIN, "switchboard"), "migrate"], env=env, check=True)
        service = Service(env)
        service.start()
        control = control_server(service)

        command_env = dict(
            os.environ,
            SWITCHBOARD_ADDR=f"127.0.0.1:{service.grpc_port}",
            SWITCHBOARD_API_KEY=API_KEY,
            SWITCHBOARD_JWT_SECRET=JWT_SECRET,
            SLACK_SIM_URL=sim_url,
            SLACK_SIM_WORKSPACE_ID=workspace,
            SWITCHBOARD_HARNESS_URL=f"http://127.0.0.1:{control.server_address[1]}",
        )
        return subprocess.run(argv, env=command_env).returncode
    finally:
        if control:
            control.shutdown()
        if service:
            service.kill()
        if sim and sim.poll() is None:
            sim.kill()
            sim.wait()
        psql(admin_url, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
