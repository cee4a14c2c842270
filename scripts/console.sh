#!/usr/bin/env bash
# The browser console of the gateway (gateway/console), tested in headless Chromium:
#
#   scripts/console.sh test   # under scripts/sdk_harness.py (scripts/sdk/gateway.sh test runs it)
#
# Debian's chromium (installed with apt-get when /usr/bin/chromium is missing), driven by
# playwright-core pinned in scripts/console/package-lock.json (no browser download); the
# gateway is built from gateway/ and started on a free port; screenshots of each step are
# kept under target/console-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh

ensure_chromium() {
  [ -x /usr/bin/chromium ] && return
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

case "${1:-}" in
  test)
    : "${SWITCHBOARD_ADDR:?run it under scripts/sdk_harness.py}"
    ensure_chromium
    # npm ci once per lock file (the copy in node_modules says which one was installed).
    if ! cmp -s scripts/console/package-lock.json scripts/console/node_modules/.installed-lock.json; then
      (cd scripts/console && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.installed-lock.json)
    fi
    work="$(mktemp -d)"
    gateway_pid=""
    trap 'kill $gateway_pid 2>/dev/null; rm -rf "$work"' EXIT
    start_gateway "$work"
    rm -rf target/console-screenshots
    SWITCHBOARD_CONSOLE_URL="$gateway_url/console/" \
    SWITCHBOARD_CONSOLE_SCREENSHOTS="$PWD/target/console-screenshots" \
      node --test --test-reporter=spec scripts/console/console.test.mjs || { cat "$work/gateway.log" >&2; exit 1; }
    ;;
  *)
    echo "usage: $0 test" >&2
    exit 2
    ;;
esac
