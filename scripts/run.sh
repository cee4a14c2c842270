#!/usr/bin/env bash
# `make run`: runs switchboard for real on this machine.
#  - starts a project-local Postgres (installing PostgreSQL if missing) and migrates it;
#  - without SLACK_CLIENT_ID/SLACK_CLIENT_SECRET in the environment, starts slack-sim with a
#    demo workspace and points the service at it; with them, talks to the real Slack;
#  - generates development secrets once (kept in .local/dev.env), prints a dev API key and
#    the grpcurl lines of the README, starts the REST gateway (gateway/) on 127.0.0.1:8081,
#    then serves until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
ensure_rust

admin_url="$(scripts/postgres.sh dev)"
psql_url="${admin_url%/*}"
real_slack=""
if [ -n "${SLACK_CLIENT_ID:-}" ] && [ -n "${SLACK_CLIENT_SECRET:-}" ]; then real_slack=1; fi
if [ -z "$real_slack" ]; then
  # slack-sim forgets everything when it stops, so integrations from an earlier run would
  # hold tokens nobody knows: the simulated demo starts from a fresh database each time.
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS switchboard WITH (FORCE)"
fi
if ! psql "$admin_url" -tAc "SELECT 1 FROM pg_database WHERE datname = 'switchboard'" | grep -q 1; then
  psql "$admin_url" -qc "CREATE DATABASE switchboard"
fi
export DATABASE_URL="$psql_url/switchboard"

mkdir -p .local
if [ ! -f .local/dev.env ]; then
  rand() { python3 -c "import secrets,sys; print(secrets.token_urlsafe(int(sys.argv[1])))" "$1"; }
  {
    echo "SWITCHBOARD_API_KEYS=dev-$(rand 24)"
    echo "SWITCHBOARD_JWT_SECRET=$(rand 48)"
    echo "SWITCHBOARD_TOKEN_ENCRYPTION_KEY=$(python3 -c 'import base64,secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())')"
    echo "SLACK_SIGNING_SECRET=dev-signing-$(rand 24)"
  } > .local/dev.env
  chmod 600 .local/dev.env
fi
# Older dev.env files predate the signing secret.
grep -q '^SLACK_SIGNING_SECRET=' .local/dev.env || echo "SLACK_SIGNING_SECRET=dev-signing-$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')" >> .local/dev.env
set -a; source .local/dev.env; set +a
api_key="${SWITCHBOARD_API_KEYS%%,*}"
echo "$api_key" > .local/dev-api-key

# Both binaries: the service and slack-sim (crates/slack-sim, a workspace member).
cargo build --workspace --bins --locked
bin=target/debug

# Ctrl-C (SIGINT) or SIGTERM stops everything this started, the local Postgres included.
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/postgres.sh stop dev
  echo "make run: stopped the service, slack-sim, the gateway and Postgres."
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Local runs listen on the loopback interface only (override with the usual variables).
export SWITCHBOARD_GRPC_ADDR="${SWITCHBOARD_GRPC_ADDR:-127.0.0.1:50051}"
export SWITCHBOARD_HTTP_ADDR="${SWITCHBOARD_HTTP_ADDR:-127.0.0.1:8080}"
# Webhook receivers of a local run are on this machine: let subscriptions point at them.
export SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE="${SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE:-true}"

# The REST gateway's address; its browser console (/console/) completes Slack installs.
gateway_addr="${SWITCHBOARD_GATEWAY_ADDR:-127.0.0.1:8081}"
gateway_url="http://${gateway_addr/#:/127.0.0.1:}"

if [ -n "$real_slack" ]; then
  echo "Using the real Slack app $SLACK_CLIENT_ID (SLACK_REDIRECT_URI must be set)."
else
  sim_addr=127.0.0.1:8900
  # Button clicks in the simulator are signed and posted to the service, as Slack does.
  "$bin/slack-sim" --addr "$sim_addr" --signing-secret "$SLACK_SIGNING_SECRET" \
    --interactivity-url "http://$SWITCHBOARD_HTTP_ADDR/slack/interactions" &
  pids+=($!)
  for _ in $(seq 50); do curl -s "http://$sim_addr/_sim/calls" >/dev/null && break; sleep 0.1; done
  ws=$(curl -s -X POST "http://$sim_addr/_sim/workspaces" -H 'content-type: application/json' \
    -d '{"name": "Demo Workspace"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  for channel in general alerts; do
    curl -s -X POST "http://$sim_addr/_sim/workspaces/$ws/channels" -H 'content-type: application/json' \
      -d "{\"name\": \"$channel\", \"purpose\": \"Demo #$channel\"}" >/dev/null
  done
  export SLACK_CLIENT_ID=sim-client-id SLACK_CLIENT_SECRET=sim-client-secret
  export SLACK_API_BASE_URL="http://$sim_addr/api"
  export SLACK_AUTHORIZE_URL="http://$sim_addr/oauth/v2/authorize"
  # slack-sim sends the browser back to the console, which completes the install (the
  # README's grpcurl and curl walk-throughs only read the code from this URL).
  export SLACK_REDIRECT_URI="${SLACK_REDIRECT_URI:-$gateway_url/console/oauth/callback}"
  echo "slack-sim is standing in for Slack at http://$sim_addr (one workspace, Demo Workspace, with #general and #alerts)."
fi

"$bin/switchboard" migrate

# The REST gateway (gateway/), built from its Go module and started beside the service
# (stopped with the rest on exit).
if command -v go >/dev/null 2>&1; then
  (cd gateway && go build -o "$tools/bin/switchboard-gateway" ./cmd/switchboard-gateway)
  SWITCHBOARD_GATEWAY_ADDR="$gateway_addr" SWITCHBOARD_GATEWAY_UPSTREAM=localhost:50051 \
    "$tools/bin/switchboard-gateway" &
  pids+=($!)
  rest="$gateway_url (OpenAPI at /openapi.json, routes in gateway/README.md)"
  console="$gateway_url/console/   (sign in with the dev API key, team id team-1)"
else
  rest="not started (building the gateway needs Go)"
  console="$rest"
fi

grpcurl_bin="$(ensure_grpcurl || true)"
cat <<EOT

  switchboard: gRPC on $SWITCHBOARD_GRPC_ADDR, HTTP on $SWITCHBOARD_HTTP_ADDR
  Postgres:    ${psql_url#postgres://}/switchboard (the project's own, in .local/; Ctrl-C stops it too)
  REST:        $rest
  console:     $console
  dev API key: $api_key   (also in .local/dev-api-key)
  metrics:     curl localhost:8080/metrics
  Slack events: POST localhost:8080/slack/events, signed with SLACK_SIGNING_SECRET in .local/dev.env
  Slack clicks: POST localhost:8080/slack/interactions (slack-sim: POST /_sim/interactions/click)
  grpcurl:     ${grpcurl_bin:-not installed (needs Go): see README}

  Connect the demo workspace (README, "Try it"):

    KEY=\$(cat .local/dev-api-key); GRPCURL=${grpcurl_bin:-grpcurl}
    \$GRPCURL -plaintext -H "authorization: Bearer \$KEY" -d '{"team_id": "team-1"}' \\
      localhost:50051 switchboard.v1.IntegrationService/StartSlackOAuth

  Run the README's commands from the repository root. Ctrl-C stops everything.

EOT
# In the background, so a SIGTERM to this script reaches the trap at once.
"$bin/switchboard" serve &
pids+=($!)
wait "${pids[-1]}"
