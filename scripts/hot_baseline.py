#!/usr/bin/env python3
"""The baseline minqing's hot-issue grouping is measured against: TF-IDF over whole texts
(jieba words) and DBSCAN with cosine distance, one `eps` for the whole data set.

    python3 scripts/hot_baseline.py POSTS.xlsx TRUTH.csv [--eps 0.5 0.6 0.7] [--min-samples 3] [--split dev|holdout|all]

Prints, per eps, the number of clusters, clustered posts and the mean best-match F1 over the
truth groups (for each truth group, the F1 of the cluster that matches it best)."""
import argparse
import csv
import re
import sys
from collections import defaultdict

import jieba
import pandas as pd
from sklearn.cluster import DBSCAN
from sklearn.feature_extraction.text import TfidfVectorizer


def load_posts(path):
    df = pd.read_excel(path, dtype={"留言编号": str})
    df["留言编号"] = df["留言编号"].astype(str).str.replace(r"\.0$", "", regex=True)
    text = (df["留言主题"].fillna("") + " " + df["留言详情"].fillna("")).map(lambda s: re.sub(r"\s+", " ", s))
    return df["留言编号"].tolist(), text.tolist()


def load_truth(path, split):
    groups = defaultdict(set)
    with open(path, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if split == "all" or r.get("split", "dev") == split:
                groups[r["group"]].add(r["case_id"])
    return groups


def best_match_f1(truth, labels, ids):
    clusters = defaultdict(set)
    for i, l in zip(ids, labels):
        if l >= 0:
            clusters[l].add(i)
    out = {}
    for g, members in truth.items():
        best = 0.0
        for c in clusters.values():
            inter = len(members & c)
            if inter:
                best = max(best, 2 * inter / (len(members) + len(c)))
        out[g] = best
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("posts")
    ap.add_argument("truth")
    ap.add_argument("--eps", type=float, nargs="+", default=[0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    ap.add_argument("--min-samples", type=int, default=3)
    ap.add_argument("--split", default="all")
    a = ap.parse_args()
    jieba.setLogLevel(60)
    ids, texts = load_posts(a.posts)
    truth = load_truth(a.truth, a.split)
    docs = [" ".join(w for w in jieba.lcut(t) if w.strip()) for t in texts]
    x = TfidfVectorizer(token_pattern=r"(?u)\S+", sublinear_tf=True).fit_transform(docs)
    for eps in a.eps:
        labels = DBSCAN(eps=eps, min_samples=a.min_samples, metric="cosine").fit(x).labels_
        f1 = best_match_f1(truth, labels, ids)
        n = len(set(labels) - {-1})
        mean = sum(f1.values()) / max(len(f1), 1)
        print(f"eps {eps:.2f}  clusters {n:4d}  clustered {(labels >= 0).sum():5d}  mean best-match F1 {mean:.3f}  "
              + " ".join(f"{g}:{v:.2f}" for g, v in sorted(f1.items())))


if __name__ == "__main__":
    sys.exit(main())
