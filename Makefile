# The two commands a newcomer needs (see README.md).

.PHONY: run test bench stress sdk load

## Run the service for real on this machine: local Postgres, slack-sim (unless real Slack
## credentials are set), migrations, then `switchboard serve`.
run:
	@scripts/run.sh

## Run every check and test from nothing (what CI runs).
test:
	@scripts/test.sh

## Print the benchmark figures (not a test), each beside its goal; the table comes last.
bench:
	@scripts/bench_webhooks.sh
	@scripts/bench.sh

## Exactly-once under load: the crash, two-replica and lease tests in a loop while busy
## loops hold every core; prints the duplicates and lost messages found (must be 0).
stress:
	@scripts/stress.sh

## Regenerate the client SDKs under sdk/ (and the descriptor set) from proto/.
sdk:
	@scripts/sdk.sh generate

## Load the running API with ghz (pinned): SendMessage and GetIntegration against a release
## build with slack-sim, through server reflection; prints ghz's summaries (not a test).
load:
	@scripts/load.sh
