#!/usr/bin/env python3
"""Write the peer's 5-fold assignment (scikit-learn StratifiedKFold, shuffle, seed 0 —
exactly as ../shared/peer/peer_pipeline.py --folds uses) as one fold number per line,
in row order, so `minqing eval classify --fold-file` scores on the very same folds.

    python3 scripts/peer_folds.py LABELLED.xlsx 一级分类 5 > folds.txt
"""
import sys

import pandas as pd
from sklearn.model_selection import StratifiedKFold

path, label, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
df = pd.read_excel(path) if path.endswith((".xlsx", ".xls")) else pd.read_csv(path)
y = df[label].astype(str).to_numpy()
fold = [0] * len(y)
for f, (_, test) in enumerate(StratifiedKFold(k, shuffle=True, random_state=0).split(y, y)):
    for i in test:
        fold[i] = f
print("\n".join(map(str, fold)))
