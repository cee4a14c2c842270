#!/usr/bin/env bash
# The Go SDK (sdk/go), driven by scripts/sdk.sh:
#
#   scripts/sdk/go.sh generate OUT   # write the generated stubs under OUT/sdk/go/switchboardv1
#   scripts/sdk/go.sh generated      # the generated paths, one a line
#   scripts/sdk/go.sh test           # go test ./... (tests and example) under sdk_harness.py
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/tools.sh

PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
generated=sdk/go/switchboardv1

# The protoc plugins from the Go module proxy, pinned: a plugin of another version would
# write different code (its version is in every file's header).
ensure_go_plugins() {
  if [ "$("$tools/bin/protoc-gen-go" --version 2>/dev/null)" != "protoc-gen-go $PROTOC_GEN_GO_VERSION" ]; then
    GOBIN="$tools/bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION" >&2
  fi
  if [ "$("$tools/bin/protoc-gen-go-grpc" --version 2>/dev/null)" != "protoc-gen-go-grpc ${PROTOC_GEN_GO_GRPC_VERSION#v}" ]; then
    GOBIN="$tools/bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION" >&2
  fi
}

case "${1:-}" in
  generate)
    out="${2:?usage: $0 generate OUT}"
    buf="$(ensure_buf)"
    ensure_go_plugins
    # Start from nothing, so a file whose proto was removed does not linger.
    rm -rf "${out:?}/$generated"
    PATH="$tools/bin:$PATH" "$buf" generate proto --path proto/switchboard/v1 \
      --template sdk/go/buf.gen.yaml -o "$out"
    ;;
  generated)
    echo "$generated"
    ;;
  test)
    cd sdk/go
    # go.sum pins every module; -mod=readonly fails instead of quietly changing go.mod.
    export GOFLAGS="${GOFLAGS:-} -mod=readonly"
    go mod download
    go vet ./...
    # -p 1: one test binary at a time, since one of them restarts the service under the
    # others.
    go test -p 1 -count=1 ./...
    ;;
  *)
    echo "usage: $0 generate OUT|generated|test" >&2
    exit 2
    ;;
esac
