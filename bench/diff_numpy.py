#!/usr/bin/python3
"""The numpy peer of `ckpt diff`: the same per-tensor metrics (max_abs and max_rel with
their index, rmse, cosine, mismatch count, first mismatches) over np.memmap views of two
fp32 files, tensor by tensor in chunks of 16 Mi elements. The tensor tables come from
`ckpt inspect --json` (computed beforehand, not timed: the layout is not what is measured).

  diff_numpy.py A.bin A.json B.bin B.json
"""
import json
import sys

import numpy as np

CHUNK = 1 << 24
MAX_REPORT = 10


def table(path):
    return {t["name"]: t for t in json.load(open(path))["tensors"] if t["dtype"] == "f32"}


def compare(ma, ta, mb, tb):
    n = ta["numel"]
    a_all = np.frombuffer(ma, dtype="<f4", count=n, offset=ta["offset"])
    b_all = np.frombuffer(mb, dtype="<f4", count=n, offset=tb["offset"])
    max_abs, max_abs_i, max_rel, max_rel_i = -1.0, 0, -1.0, 0
    d2 = dot = na = nb = 0.0
    mism, first = 0, []
    for s in range(0, n, CHUNK):
        a = a_all[s : s + CHUNK].astype(np.float64)
        b = b_all[s : s + CHUNK].astype(np.float64)
        d = np.abs(a - b)
        i = int(d.argmax())
        if d[i] > max_abs:
            max_abs, max_abs_i = float(d[i]), s + i
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(d == 0, 0.0, d / np.abs(b))
        i = int(rel.argmax())
        if rel[i] > max_rel:
            max_rel, max_rel_i = float(rel[i]), s + i
        d2 += float(np.dot(d, d))
        dot += float(np.dot(a, b))
        na += float(np.dot(a, a))
        nb += float(np.dot(b, b))
        ne = np.flatnonzero(a != b)
        mism += len(ne)
        if len(first) < MAX_REPORT:
            first += [(s + int(k), float(a[k]), float(b[k])) for k in ne[: MAX_REPORT - len(first)]]
    shape = tuple(ta["shape"])
    return {
        "max_abs": max_abs, "max_abs_index": np.unravel_index(max_abs_i, shape),
        "max_rel": max_rel, "max_rel_index": np.unravel_index(max_rel_i, shape),
        "rmse": (d2 / n) ** 0.5, "cosine": dot / (na * nb) ** 0.5 if na > 0 and nb > 0 else None,
        "mismatches": mism, "first": [(np.unravel_index(k, shape), x, y) for k, x, y in first],
    }


def main(a, ja, b, jb):
    ta, tb = table(ja), table(jb)
    ma, mb = np.memmap(a, dtype=np.uint8, mode="r"), np.memmap(b, dtype=np.uint8, mode="r")
    differ = 0
    for name in ta:
        if name not in tb:
            continue
        r = compare(ma, ta[name], mb, tb[name])
        if r["mismatches"]:
            differ += 1
            print(name, r["mismatches"], "mismatches, first", r["first"][:3], "max_abs", r["max_abs"],
                  "at", r["max_abs_index"])
    print(f"{differ} of {len(ta)} tensors differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
