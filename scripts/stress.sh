#!/usr/bin/env bash
# `make stress`: the crash test, the two-replica test and the lease tests, run again and
# again while busy loops keep every core loaded. Prints each run's posts, duplicates and
# lost messages, then the totals; fails unless both totals are 0 and every run passed.
#
#   STRESS_RUNS=10 make stress
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
ensure_rust
DATABASE_URL="$(scripts/postgres.sh test)"
export DATABASE_URL
runs="${STRESS_RUNS:-5}"
tests=(processes::a_service_killed processes::two_services leases::)

cargo test --locked --test api --no-run >/dev/null 2>&1 || cargo test --locked --test api --no-run

# One busy loop per core, for the whole run.
burners=()
for _ in $(seq "$(nproc)"); do
  ( while :; do :; done ) &
  burners+=($!)
done
trap 'kill "${burners[@]}" 2>/dev/null || true' EXIT

log="$(mktemp)"
: >"$log.all"
failed_runs=0
for run in $(seq "$runs"); do
  : >"$log"
  if SWITCHBOARD_STRESS_LOG="$log" cargo test --locked --test api -q -- "${tests[@]}" \
       >"$log.out" 2>&1; then
    verdict=passed
  else
    verdict=FAILED
    failed_runs=$((failed_runs + 1))
    grep -E "panicked|assert" "$log.out" | head -n 5 | sed 's/^/    /'
    # The whole output of a failed run stays for a look (TEST_LOG=1 adds the services' logs).
    mkdir -p target/stress
    cp "$log.out" "target/stress/run-$run.log"
    echo "    output: target/stress/run-$run.log"
  fi
  echo "run $run: $verdict"
  sed 's/^/    /' "$log"
  cat "$log" >>"$log.all"
done
trap - EXIT
kill "${burners[@]}" 2>/dev/null || true

sum() { grep -o "$1=[0-9]*" "$log.all" 2>/dev/null | awk -F= '{ n += $2 } END { print n + 0 }'; }
duplicates="$(sum duplicates)"; lost="$(sum lost)"; posts="$(sum posts)"
echo "stress: $runs runs under $(nproc) busy loops; $posts posts checked; duplicates: ${duplicates:-0}; lost: ${lost:-0}; failed runs: $failed_runs"
rm -f "$log" "$log.out" "$log.all"
[ "${duplicates:-0}" = 0 ] && [ "${lost:-0}" = 0 ] && [ "$failed_runs" = 0 ]
