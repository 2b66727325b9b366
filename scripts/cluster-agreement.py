#!/usr/bin/env python3
"""How far two clusterings of one warehouse agree: a kept run's `cluster_members` against
those of `minqing cluster --regroup` on a copy (docs/measurements.md, "Clusters and the
escalation model kept from day to day").

    minqing sql --warehouse W --format csv "SELECT cluster_id, case_id FROM cluster_members" > kept.csv
    cp -r W W2 && minqing cluster --warehouse W2 --regroup
    minqing sql --warehouse W2 --format csv "SELECT cluster_id, case_id FROM cluster_members" > anew.csv
    python3 scripts/cluster-agreement.py kept.csv anew.csv

Prints the clusters of each and how many ids both have, the cases in a cluster in each,
and the adjusted Rand index over the cases in a cluster in either (a case in no cluster
counts as a group of its own). Standard library only.
"""
import csv
import sys
from collections import Counter
from math import comb


def members(path):
    with open(path, encoding="utf-8") as f:
        return {r["case_id"]: r["cluster_id"] for r in csv.DictReader(f)}


def main(a_path, b_path):
    a, b = members(a_path), members(b_path)
    print(f"clusters: {len(set(a.values()))} / {len(set(b.values()))}, same id {len(set(a.values()) & set(b.values()))}")
    cases = sorted(set(a) | set(b))
    x = [a.get(c, "-" + c) for c in cases]
    y = [b.get(c, "-" + c) for c in cases]
    pairs = lambda counts: sum(comb(v, 2) for v in counts.values())
    both, sx, sy = pairs(Counter(zip(x, y))), pairs(Counter(x)), pairs(Counter(y))
    expected = sx * sy / comb(len(cases), 2)
    ari = (both - expected) / ((sx + sy) / 2 - expected)
    print(f"cases in a cluster: {len(a)} / {len(b)}, in both {len(set(a) & set(b))}; ARI {ari:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
