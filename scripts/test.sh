#!/usr/bin/env bash
# The whole test suite, in the dev profile. The target dir lives outside the clone so
# CI and later runs reuse the build.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/minqing-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# the Debian packages (font, chromium, node) and playwright-core for the dashboard's
# browser test install while cargo builds the tests (one after the other: one apt at a time)
( ./scripts/setup.sh && ./scripts/browser-setup.sh ) &
setup=$!
cargo test --locked --no-run "$@"
wait "$setup"
cargo test --locked "$@"
# the cluster path: Ballista's scheduler and executor on localhost (a second build of the
# DataFusion tree with Ballista's features; reused from the target dir after the first run)
cargo test --locked --features ballista --test ballista
