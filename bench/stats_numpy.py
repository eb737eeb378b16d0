#!/usr/bin/python3
"""The numpy peer of `ckpt inspect --stats`: the same per-tensor statistics (min, max,
mean, std, absmax, nan, inf, zeros, in float64 accumulators) over a llama2.c v0 file,
read through a memory map. Usage: stats_numpy.py FILE"""
import json
import struct
import sys

import numpy as np

path = sys.argv[1]
D, H, L, NH, KV, V, S = struct.unpack("<7i", open(path, "rb").read(28))
shared = V > 0
V = abs(V)
hs = D // NH
m = np.memmap(path, dtype="<f4", mode="r", offset=28)
sizes = [("tok_embeddings.weight", V * D)]
for kind, n in [("attention_norm", D), ("wq", D * D), ("wk", KV * hs * D), ("wv", KV * hs * D), ("wo", D * D),
                ("ffn_norm", D), ("w1", H * D), ("w2", D * H), ("w3", H * D)]:
    sizes += [(f"layers.{i}.{kind}", n) for i in range(L)]  # short kind names; order is what matters
sizes += [("norm.weight", D), ("freqs_cos", S * hs // 2), ("freqs_sin", S * hs // 2)]
if not shared:
    sizes.append(("output.weight", V * D))
out, pos = [], 0
for name, n in sizes:
    a = m[pos:pos + n]
    pos += n
    finite = np.isfinite(a)
    f = a[finite].astype(np.float64)
    out.append({"name": name, "min": float(f.min()), "max": float(f.max()), "mean": float(f.mean()),
                "std": float(f.std()), "absmax": float(np.abs(f).max()), "nan": int(np.isnan(a).sum()),
                "inf": int(np.isinf(a).sum()), "zeros": int((a == 0).sum())})
json.dump(out, sys.stdout)
