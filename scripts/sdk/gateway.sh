#!/usr/bin/env bash
# The REST gateway (gateway/), driven by scripts/sdk.sh like the SDKs:
#
#   scripts/sdk/gateway.sh generate OUT  # the reverse proxy routes and the OpenAPI file, under OUT/gateway
#   scripts/sdk/gateway.sh generated     # the generated paths, one a line
#   scripts/sdk/gateway.sh test          # Go tests and schemathesis, under scripts/sdk_harness.py
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/tools.sh

GRPC_GATEWAY_VERSION=v2.33.0
routes=gateway/internal/switchboardv1
spec=gateway/openapi/switchboard.swagger.json

# protoc-gen-grpc-gateway and protoc-gen-openapiv2 from the Go module proxy, pinned (their
# version decides the generated code).
ensure_gateway_plugins() {
  local plugin
  for plugin in protoc-gen-grpc-gateway protoc-gen-openapiv2; do
    if ! "$tools/bin/$plugin" --version 2>/dev/null | grep -qx "Version $GRPC_GATEWAY_VERSION, .*"; then
      GOBIN="$tools/bin" go install "github.com/grpc-ecosystem/grpc-gateway/v2/$plugin@$GRPC_GATEWAY_VERSION" >&2
    fi
  done
}

case "${1:-}" in
  generate)
    out="${2:?usage: $0 generate OUT}"
    buf="$(ensure_buf)"
    ensure_gateway_plugins
    rm -rf "${out:?}/$routes" "${out:?}/$spec"
    PATH="$tools/bin:$PATH" "$buf" generate proto --path proto/switchboard/v1 \
      --template gateway/buf.gen.yaml -o "$out"
    ;;
  generated)
    echo "$routes"
    echo "$spec"
    ;;
  test)
    : "${SWITCHBOARD_ADDR:?run it under scripts/sdk_harness.py}"
    cd gateway
    export GOFLAGS="${GOFLAGS:-} -mod=readonly"
    go vet ./...
    go test -count=1 ./...
    ;;
  *)
    echo "usage: $0 generate OUT|generated|test" >&2
    exit 2
    ;;
esac
