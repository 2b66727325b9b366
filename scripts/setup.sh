#!/usr/bin/env bash
# Installs what minqing needs beyond the Rust toolchain. Safe to run again: packages
# already present are left alone.
#   fonts-wqy-microhei  the CJK font the charts draw Chinese with (a missing font is an error)
#   chromium            headless rendering of briefing.html in the tests
set -euo pipefail
command -v cargo >/dev/null || { echo "cargo not found: install the Rust toolchain (rustup)" >&2; exit 2; }

want=()
for pkg in fonts-wqy-microhei chromium; do
    dpkg -s "$pkg" >/dev/null 2>&1 || want+=("$pkg")
done
if [ ${#want[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing ${want[*]} (Debian packages)" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y --no-install-recommends "${want[@]}" >/dev/null 2>&1 \
        || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "${want[@]}" >/dev/null; }
fi
