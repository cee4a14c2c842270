#!/usr/bin/env bash
# `make test`: every check and test, from nothing. Installs what is missing (PostgreSQL,
# buf, rustfmt/clippy, the SDKs' pinned tool chains), starts a throwaway project-local
# Postgres, lints the protos and checks them for breaking changes, checks formatting and
# lints the code, checks the deployment files (scripts/deploy.sh check), runs the service's
# test suite, then checks that the generated SDKs are current and runs each SDK's tests
# against the real service.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh

ensure_rust
DATABASE_URL="$(scripts/postgres.sh test)"
export DATABASE_URL
buf="$(ensure_buf)"
# Each integration test (and SDK test run) makes a database of its own; clear the
# previous run's.
psql "$DATABASE_URL" -Atc "SELECT format('DROP DATABASE %I WITH (FORCE);', datname)
                           FROM pg_database WHERE datname LIKE 'sbtest\_%' OR datname LIKE 'sbsdk\_%'" \
  | psql "$DATABASE_URL" -q

echo "== buf lint"
"$buf" lint
# A change that would break generated clients does not land: compare with the commit
# before this one.
if git rev-parse -q --verify HEAD~1 >/dev/null; then
  echo "== buf breaking (against HEAD~1)"
  "$buf" breaking proto --against ".git#ref=HEAD~1,subdir=proto"
fi
echo "== layers (module graph runs one way, no cycles)"
python3 scripts/layers.py
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The images, the Kubernetes manifests, the alert rules and the dashboard (after clippy,
# which has fetched the crates the image check resolves offline).
scripts/deploy.sh check
echo "== cargo test"
# The benchmark (benches/) is a command of its own (make bench), not a test. The service
# and the simulator (crates/slack-sim); the client SDK's tests run under the harness below.
cargo test -p switchboard -p slack-sim --lib --bins --tests --locked
echo "== sdk: generated code is current"
scripts/sdk.sh check
echo "== sdk: tests against the real service"
scripts/sdk.sh test
