#!/usr/bin/env bash
# The Python peer's libraries (../shared/peer/README.md), in a venv outside the clone.
# Prints the venv's python; `minqing bench --peer` and scripts/peer_folds.py use it.
set -euo pipefail
VENV="${MINQING_PEER_VENV:-$HOME/.cache/minqing-peer-venv}"
if [ ! -x "$VENV/bin/python3" ]; then
    python3 -m venv "$VENV" >&2
fi
# pandas 3 keeps NaN through astype(str), which the peer script (written for pandas 2) trips on
if ! "$VENV/bin/python3" -c "import jieba, openpyxl, sklearn, datasketch, pandas; assert pandas.__version__ < \"3\"" 2>/dev/null; then
    "$VENV/bin/pip" install --quiet jieba "pandas<3" openpyxl scikit-learn datasketch >&2
fi
echo "$VENV/bin/python3"
