#!/usr/bin/env bash
# The dashboard on the demo warehouse: runs the demo first if there is none, adds the
# county user `leader` (its password printed once; delete demo/users.toml for a new one)
# and serves http://127.0.0.1:8080/ (BIND=0.0.0.0:8080 for the intranet) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/minqing-target}"
[ -d demo/warehouse ] || ./scripts/demo.sh >/dev/null
cargo build --locked --quiet --bin minqing
minqing="$CARGO_TARGET_DIR/debug/minqing"
users=demo/users.toml
if ! grep -qs '^name = "leader"' "$users"; then
    password="${MINQING_DEMO_PASSWORD:-$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | cut -c1-12)}"
    echo "$password" | "$minqing" user add --users "$users" leader --role county
    echo "log in as leader with the password: $password"
else
    echo "log in as leader with the password printed when demo/users.toml was made (delete it for a new one)"
fi
exec "$minqing" serve --warehouse demo/warehouse --users "$users" --bind "${BIND:-127.0.0.1:8080}"
