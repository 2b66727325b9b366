#!/usr/bin/env bash
# The demo: bundled sample exports → warehouse → summary.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/minqing-target}"
cargo run --locked --quiet -- demo "$@"
