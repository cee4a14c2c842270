# Shared by the scripts: installs the tools the project needs into .local/tools when they
# are missing. Source it; it defines functions only.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.local/tools"
BUF_VERSION=1.75.0
GRPCURL_VERSION=v1.9.3
GHZ_VERSION=v0.120.0

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is missing: install Rust with rustup (https://rustup.rs)" >&2
    return 1
  fi
  for component in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$component" \
      || rustup component add "$component" >&2
  done
}

# buf (proto linter) from npm's @bufbuild/buf, pinned.
ensure_buf() {
  if [ ! -x "$tools/node_modules/.bin/buf" ] \
     || [ "$("$tools/node_modules/.bin/buf" --version 2>/dev/null)" != "$BUF_VERSION" ]; then
    mkdir -p "$tools"
    npm install --prefix "$tools" --silent --no-audit --no-fund "@bufbuild/buf@$BUF_VERSION" >&2
  fi
  echo "$tools/node_modules/.bin/buf"
}

# grpcurl from the Go module proxy, pinned.
ensure_grpcurl() {
  if command -v grpcurl >/dev/null 2>&1; then command -v grpcurl; return; fi
  if [ ! -x "$tools/bin/grpcurl" ]; then
    echo "installing grpcurl $GRPCURL_VERSION (one time)..." >&2
    GOBIN="$tools/bin" go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION" >&2
  fi
  echo "$tools/bin/grpcurl"
}

# ghz (gRPC load generator) from the Go module proxy, pinned. Built by `go install`, it
# says "dev" for --version: the module version compiled in tells the pin instead.
ensure_ghz() {
  if ! go version -m "$tools/bin/ghz" 2>/dev/null | grep -q "mod[[:space:]]*github.com/bojand/ghz[[:space:]]*$GHZ_VERSION"; then
    echo "installing ghz $GHZ_VERSION (one time)..." >&2
    GOBIN="$tools/bin" go install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION" >&2
  fi
  echo "$tools/bin/ghz"
}

# A virtualenv at $1 with exactly the requirements file $2, reinstalled when that changes
# (a copy of it in the venv says what it holds).
ensure_venv() {
  if ! cmp -s "$2" "$1/installed.txt"; then
    rm -rf "$1"
    python3 -m venv "$1"
    "$1/bin/pip" install --quiet --disable-pip-version-check -r "$2" >&2
    cp "$2" "$1/installed.txt"
  fi
}

# Builds gateway/ into the folder $1 and starts it on a free loopback port in front of the
# harness's service ($SWITCHBOARD_ADDR), for tests; sets gateway_pid and gateway_url (its
# log in $1/gateway.log) once it answers /healthz. The caller stops it.
start_gateway() {
  local dir="$1" port
  (cd "$root/gateway" && go build -o "$dir/switchboard-gateway" ./cmd/switchboard-gateway)
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  gateway_url="http://127.0.0.1:$port"
  SWITCHBOARD_GATEWAY_ADDR="127.0.0.1:$port" SWITCHBOARD_GATEWAY_UPSTREAM="$SWITCHBOARD_ADDR" \
    "$dir/switchboard-gateway" 2>"$dir/gateway.log" &
  gateway_pid=$!
  for _ in $(seq 100); do curl -sf "$gateway_url/healthz" >/dev/null && return; sleep 0.1; done
  cat "$dir/gateway.log" >&2
  return 1
}
