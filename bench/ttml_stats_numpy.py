#!/usr/bin/python3
"""The peer of `ckpt inspect --stats` on a tt-train msgpack file, done the usual Python
way: msgpack.unpackb of the whole file, then numpy per tensor (values as float32, as
ckpt streams them; sums in float64). Prints one JSON object {tensor: stats}.

    /usr/bin/python3 bench/ttml_stats_numpy.py FILE
"""
import json
import sys

import msgpack
import numpy as np


def stats(a: np.ndarray) -> dict:
    finite = a[np.isfinite(a)]
    out = {"count": int(a.size), "nan": int(np.isnan(a).sum()), "inf": int(np.isinf(a).sum()),
           "zeros": int((finite == 0).sum())}
    if finite.size:
        out.update(min=float(finite.min()), max=float(finite.max()), mean=float(finite.mean(dtype=np.float64)),
                   std=float(finite.std(dtype=np.float64)), absmax=float(np.abs(finite).max()))
    return out


def main(path: str) -> None:
    with open(path, "rb") as f:
        d = msgpack.unpackb(f.read(), raw=False, strict_map_key=False)
    result = {}
    for key, value in d.items():
        if key.endswith("/value/data"):
            result[key[: -len("/value/data")]] = stats(np.asarray(value[1], dtype=np.float32))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
