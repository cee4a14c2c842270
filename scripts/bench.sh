#!/usr/bin/env bash
# `make bench`: prints the outbox figures (enqueue rate, delivery against Slack's pace,
# peak RSS). A release build against a durable project-local Postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
ensure_rust
DATABASE_URL="$(scripts/postgres.sh bench)"
export DATABASE_URL
cargo bench --locked --bench delivery
