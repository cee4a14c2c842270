#!/usr/bin/env bash
# `make load`: ghz (pinned, from the Go module proxy) against a running release build,
# through server reflection (no proto files given), printing its summary for SendMessage
# and GetIntegration.
#
# It builds the release binaries, starts the durable bench Postgres, and runs itself again
# under scripts/sdk_harness.py (a fresh database, slack-sim with a demo workspace, and
# `switchboard serve`), where it installs one integration through the simulated OAuth
# flow, picks #alerts as its channel, and loads the API.
#
#   LOAD_CONCURRENCY (50)  concurrent ghz workers per method
#   LOAD_REQUESTS (20000)  requests per method
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh

concurrency="${LOAD_CONCURRENCY:-50}"
requests="${LOAD_REQUESTS:-20000}"

if [ "${1:-}" != --under-harness ]; then
  ensure_rust
  ensure_ghz >/dev/null
  ensure_grpcurl >/dev/null
  cargo build --release --workspace --bins --locked
  DATABASE_URL="$(scripts/postgres.sh bench)" SWITCHBOARD_BIN_DIR="$root/target/release" \
    exec scripts/sdk_harness.py -- "$0" --under-harness
fi

# Under the harness: SWITCHBOARD_ADDR, SWITCHBOARD_API_KEY, SLACK_SIM_WORKSPACE_ID are set.
ghz="$(ensure_ghz)"
grpcurl="$(ensure_grpcurl)"
auth="authorization: Bearer $SWITCHBOARD_API_KEY"
call() { "$grpcurl" -plaintext -H "$auth" -d "$2" "$SWITCHBOARD_ADDR" "switchboard.v1.$1"; }
# The JSON value at a path of keys and indexes: field channels 0 id.
field() {
  python3 -c 'import json, sys
value = json.load(sys.stdin)
for key in sys.argv[1:]:
    value = value[int(key) if key.isdigit() else key]
print(value)' "$@"
}

# One integration through the simulated OAuth flow (slack-sim approves at once and
# redirects with a code), with #alerts as its notification channel.
start=$(call IntegrationService/StartSlackOAuth '{"team_id": "team-load"}')
authorize="$(echo "$start" | field authorizeUrl)&team=$SLACK_SIM_WORKSPACE_ID"
code=$(curl -s -o /dev/null -w '%{redirect_url}' "$authorize" \
  | python3 -c "import sys,urllib.parse as u; print(u.parse_qs(u.urlparse(sys.stdin.read()).query)['code'][0])")
state=$(echo "$start" | field state)
integration=$(call IntegrationService/CompleteSlackOAuth "{\"code\": \"$code\", \"state\": \"$state\"}" | field id)
channel=$(call ChannelService/ListChannels "{\"integration_id\": \"$integration\", \"name_query\": \"alerts\"}" \
  | field channels 0 id)
call ChannelService/SetNotificationChannel "{\"integration_id\": \"$integration\", \"channel_id\": \"$channel\"}" >/dev/null

load() {
  local method="$1" data="$2"
  echo
  echo "== ghz $GHZ_VERSION: $method, $concurrency concurrent, $requests requests (release build, reflection)"
  "$ghz" --insecure --call "switchboard.v1.$method" \
    --metadata "{\"authorization\": \"Bearer $SWITCHBOARD_API_KEY\"}" \
    --data "$data" --concurrency "$concurrency" --total "$requests" "$SWITCHBOARD_ADDR"
}

# Every SendMessage has its own internal_message_id, so each one queues a new delivery.
load MessagingService/SendMessage "{\"integration_id\": \"$integration\",
  \"internal_message_id\": \"load-{{.RequestNumber}}-{{newUUID}}\",
  \"message\": {\"text\": \"load test message {{.RequestNumber}}\"}}"
load IntegrationService/GetIntegration "{\"integration_id\": \"$integration\"}"
