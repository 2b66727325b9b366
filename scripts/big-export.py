#!/usr/bin/env python3
"""Write a large export by repeating a generated one with fresh ids, for the streaming
measurement in docs/measurements.md:

    minqing generate --records 100000 --seed 5 --out gen100k
    python3 scripts/big-export.py gen100k/exports/message.utf8.csv 5 > big/message.utf8.csv   # 5 GB

The first column (the id) gets a copy suffix, so every row is a new case.
"""
import csv
import sys

src, gigabytes = sys.argv[1], float(sys.argv[2])
with open(src, encoding="utf-8-sig", newline="") as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
out = sys.stdout
out.reconfigure(newline="")
w = csv.writer(out, lineterminator="\n")
w.writerow(header)
target, written, copy = gigabytes * (1 << 30), 0, 0
while written < target:
    for r in body:
        r = [f"{r[0]}-{copy}"] + r[1:]
        w.writerow(r)
    copy += 1
    written = out.tell() if out.seekable() else written + sum(len(",".join(r).encode()) + 1 for r in body)
print(f"{copy} copies of {len(body)} rows", file=sys.stderr)
