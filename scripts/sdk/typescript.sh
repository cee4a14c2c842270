#!/usr/bin/env bash
# The TypeScript SDK (sdk/typescript, npm package @switchboard/sdk) for scripts/sdk.sh:
#
#   scripts/sdk/typescript.sh generate OUT   # write sdk/typescript/src/gen under OUT
#   scripts/sdk/typescript.sh generated      # the generated paths, one a line
#   scripts/sdk/typescript.sh test           # tests and example (under scripts/sdk_harness.py)
#
# Every tool is the package's own pinned devDependency (package-lock.json): protoc-gen-es
# runs as a local buf plugin from sdk/typescript/node_modules/.bin, tsc compiles.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/tools.sh
pkg=sdk/typescript
gen=$pkg/src/gen

# `npm ci` when node_modules does not match the committed lock file (a copy of the lock
# file it was installed from is kept beside it). Scripts are skipped: `prepare` compiles
# the package, which needs the generated code this may be about to write.
ensure_node_modules() {
  local stamp="$pkg/node_modules/.installed-package-lock.json"
  if ! cmp -s "$pkg/package-lock.json" "$stamp"; then
    (cd "$pkg" && npm ci --ignore-scripts --silent --no-audit --no-fund) >&2
    cp "$pkg/package-lock.json" "$stamp"
  fi
}

case "${1:-}" in
  generate)
    out="${2:?usage: $0 generate OUT}"
    buf="$(ensure_buf)"
    ensure_node_modules
    # google/rpc is named because no switchboard file imports error_details.proto, yet the
    # SDK decodes ErrorInfo, BadRequest and RetryInfo with it.
    PATH="$root/$pkg/node_modules/.bin:$PATH" "$buf" generate proto \
      --path proto/switchboard/v1 --path proto/google/rpc \
      --template "$pkg/buf.gen.yaml" -o "$out"
    ;;
  generated)
    echo "$gen"
    ;;
  test)
    ensure_node_modules
    (cd "$pkg" && npm test --silent)
    ;;
  *)
    echo "usage: $0 generate OUT|generated|test" >&2
    exit 2
    ;;
esac
