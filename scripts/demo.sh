#!/usr/bin/env bash
# The demo: bundled sample exports → warehouse → summary.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/minqing-target}"
# the Debian packages install while cargo builds: on a fresh machine neither waits for the other
./scripts/setup.sh &
setup=$!
cargo build --locked --quiet
wait "$setup"
cargo run --locked --quiet -- demo "$@"
