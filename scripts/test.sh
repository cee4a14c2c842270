#!/usr/bin/env bash
# `make test`: every check and test, from nothing. Installs what is missing (PostgreSQL,
# buf, rustfmt/clippy), starts a throwaway project-local Postgres, lints the protos,
# checks formatting and lints the code, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh

ensure_rust
DATABASE_URL="$(scripts/postgres.sh test)"
export DATABASE_URL
buf="$(ensure_buf)"
# Each integration test makes a database of its own; clear the previous run's.
psql "$DATABASE_URL" -Atc "SELECT format('DROP DATABASE %I WITH (FORCE);', datname)
                           FROM pg_database WHERE datname LIKE 'sbtest\_%'" \
  | psql "$DATABASE_URL" -q

echo "== buf lint"
"$buf" lint
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
# The benchmark (benches/) is a command of its own (make bench), not a test.
cargo test --lib --bins --tests --locked
