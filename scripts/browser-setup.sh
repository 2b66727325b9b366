#!/usr/bin/env bash
# Installs what the headless-browser tests of `minqing serve` need (tests/browser/):
#   nodejs, npm      Debian packages, only when `node` is missing
#   playwright-core  from tests/browser/package-lock.json; it drives the system Chromium
#                    (scripts/setup.sh installs it), so no browser is downloaded
# Safe to run again: does nothing when everything is in place and the lock file has not
# changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing nodejs npm (Debian packages)" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y --no-install-recommends nodejs npm >/dev/null 2>&1 \
        || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends nodejs npm >/dev/null; }
fi
command -v npm >/dev/null || { echo "npm not found: install it (apt-get install npm)" >&2; exit 2; }

dir=tests/browser
# npm ci wipes node_modules and reinstalls; skip it unless the module is missing or the
# lock file changed after the last install (npm writes node_modules/.package-lock.json).
if [ ! -d "$dir/node_modules/playwright-core" ] \
    || [ ! -e "$dir/node_modules/.package-lock.json" ] \
    || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "installing playwright-core (npm ci in $dir)" >&2
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
fi
