#!/usr/bin/env bash
# `make bench`: every figure of the outbox goals (enqueue against raw inserts, pacing
# against slack-sim on its own clock, queue cost with backlog and history, latency,
# fairness, the channel directory), each beside its goal with `met` or `MISSED`, then the
# whole table again. A release build against a durable project-local Postgres.
#   scripts/bench.sh                  # every section
#   scripts/bench.sh pacing latency   # only these (enqueue pacing queue latency fairness directory)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
ensure_rust
DATABASE_URL="$(scripts/postgres.sh bench)"
export DATABASE_URL
cargo bench --locked --bench delivery -- "$@"
