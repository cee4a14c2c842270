#!/bin/sh
# Stub sources for the Dockerfile's dependency layer: each workspace member's manifest names
# (or cargo infers) its targets, whose files must exist for the workspace to load, and an
# empty one builds in no time. `scripts/deploy.sh check` runs this in a copy of what the
# Dockerfile copies and loads the workspace from it (`cargo metadata --locked`), so a new
# member or target that is missing here fails `make test`, not the image build.
set -eu
mkdir -p src crates/slack-sim/src sdk/rust/src
echo 'fn main() {}' > src/main.rs
: > src/lib.rs
echo 'fn main() {}' > crates/slack-sim/src/main.rs
: > crates/slack-sim/src/lib.rs
: > sdk/rust/src/lib.rs
