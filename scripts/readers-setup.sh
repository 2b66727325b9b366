#!/usr/bin/env bash
# The Python readers the warehouse promises (polars `read_delta`, the `deltalake` package),
# in a venv outside the clone. Prints the venv's python; tests/python_readers.rs uses it.
set -euo pipefail
VENV="${MINQING_READERS_VENV:-$HOME/.cache/minqing-readers-venv}"
if [ ! -x "$VENV/bin/python3" ]; then
    python3 -m venv "$VENV" >&2
fi
if ! "$VENV/bin/python3" -c "import deltalake, polars, pyarrow" 2>/dev/null; then
    "$VENV/bin/pip" install --quiet "deltalake>=1.1,<2" "polars>=1.30,<2" "pyarrow>=18" >&2
fi
echo "$VENV/bin/python3"
