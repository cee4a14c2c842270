#!/usr/bin/env bash
# The client SDKs under sdk/: one generation pipeline (buf, local plugins only, pinned), and
# their tests against a real switchboard.
#
#   scripts/sdk.sh generate   # `make sdk`: regenerate every SDK and the descriptor set
#   scripts/sdk.sh check      # fail when regenerating would change a committed file
#   scripts/sdk.sh test       # each SDK's tests and example under scripts/sdk_harness.py
#
# Each language has a script scripts/sdk/<lang>.sh with the subcommands `generate OUT`
# (write its generated code under OUT, paths as in the repository), `generated` (print the
# generated paths, one a line) and `test` (run its tests and example; the harness has set
# SWITCHBOARD_ADDR and the rest). The REST gateway (gateway/, scripts/sdk/gateway.sh) is one
# more entry: its routes and OpenAPI file are generated from the same protos.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh

languages=(go python typescript rust gateway)
descriptor=sdk/switchboard.v1.binpb

generate_all() {
  local out="$1" buf
  buf="$(ensure_buf)"
  mkdir -p "$out/sdk"
  # The descriptor set, for teams generating a client in another language.
  "$buf" build proto --path proto/switchboard -o "$out/$descriptor"
  for lang in "${languages[@]}"; do
    scripts/sdk/"$lang".sh generate "$out"
  done
}

case "${1:-}" in
  generate)
    generate_all .
    ;;
  check)
    fresh="$(mktemp -d)"
    trap 'rm -rf "$fresh"' EXIT
    generate_all "$fresh"
    stale=0
    for path in "$descriptor" $(for lang in "${languages[@]}"; do scripts/sdk/"$lang".sh generated; done); do
      if ! diff -r "$fresh/$path" "$path" >/dev/null 2>&1; then
        echo "sdk: $path is stale: run 'make sdk' and commit the result" >&2
        stale=1
      fi
    done
    exit "$stale"
    ;;
  test)
    # The harness runs target/debug/switchboard and target/debug/slack-sim.
    cargo build --workspace --bins --locked
    for lang in "${languages[@]}"; do
      echo "== sdk/$lang"
      scripts/sdk_harness.py -- scripts/sdk/"$lang".sh test
    done
    ;;
  *)
    echo "usage: $0 generate|check|test" >&2
    exit 2
    ;;
esac
