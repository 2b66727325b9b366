#!/usr/bin/env bash
# Installs what minqing needs beyond the Rust toolchain. Safe to run again.
set -euo pipefail
# Nothing outside cargo is needed yet; system packages (a CJK font for charts, Chromium
# for the briefing screenshot test) are added here as the stages that need them land.
command -v cargo >/dev/null || { echo "cargo not found: install the Rust toolchain (rustup)" >&2; exit 2; }
