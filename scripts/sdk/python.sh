#!/usr/bin/env bash
# The Python SDK, sdk/python (see scripts/sdk.sh):
#
#   scripts/sdk/python.sh generate OUT  # the generated modules, under OUT/sdk/python/src/switchboard/v1
#   scripts/sdk/python.sh generated     # the generated paths
#   scripts/sdk/python.sh test          # pytest (tests and the example), under scripts/sdk_harness.py
#   scripts/sdk/python.sh example       # the example, against `make run` (or the harness's env)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/tools.sh

package=sdk/python
generated=$package/src/switchboard/v1
venv=$package/.venv

# sdk/python/.venv with requirements.lock and the package itself, installed as a user
# would (a wheel, not the source tree), so the tests also check that the package installs.
ensure_package() {
  ensure_venv "$venv" "$package/requirements.lock"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
    --force-reinstall "./$package" >&2
}

case "${1:-}" in
  generate)
    out="${2:?usage: $0 generate OUT}"
    # grpcio-tools (the protoc and gRPC generator of the gencode) in .local/tools, where
    # buf.gen.yaml runs it.
    ensure_venv "$tools/python-grpc" scripts/sdk/python-tools.lock
    buf="$(ensure_buf)"
    rm -rf "${out:?}/$generated"
    "$buf" generate proto --path proto/switchboard/v1 --template "$package/buf.gen.yaml" -o "$out"
    # A regular package, not an implicit namespace one.
    : > "$out/$generated/__init__.py"
    ;;
  generated)
    echo "$generated"
    ;;
  test)
    : "${SWITCHBOARD_ADDR:?run it under scripts/sdk_harness.py}"
    ensure_package
    cd "$package"
    exec .venv/bin/python -m pytest
    ;;
  example)
    ensure_package
    exec "$venv/bin/python" "$package/examples/quickstart.py"
    ;;
  *)
    echo "usage: $0 generate OUT|generated|test|example" >&2
    exit 2
    ;;
esac
