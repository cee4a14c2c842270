#!/usr/bin/env bash
# `make bench` (webhooks): prints webhook deliveries/s to a local receiver and the retry
# timeline after 500s, from an ignored test run in release mode. Figures, not assertions.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
ensure_rust
DATABASE_URL="$(scripts/postgres.sh bench)"
export DATABASE_URL
cargo test --locked --release --test api bench_webhook_deliveries -- --ignored --nocapture \
  | grep '^webhooks:'
