#!/usr/bin/python3
"""Writes a large llama2.c v0 checkpoint of random weights for the benchmarks.
Usage: make_big_v0.py OUT [dim hidden layers heads kv vocab seq]
Default config (1536, 4096, 8, 12, 12, 32000, 1024): 1.1 GB, 275 M parameters."""
import struct
import sys

import numpy as np

out = sys.argv[1]
D, H, L, NH, KV, V, S = (int(x) for x in sys.argv[2:9]) if len(sys.argv) > 2 else (1536, 4096, 8, 12, 12, 32000, 1024)
hs = D // NH
rng = np.random.default_rng(0)


def block(*shape, norm=False):
    a = rng.standard_normal(size=shape, dtype=np.float32) * np.float32(0.02)
    return (a + np.float32(1.0)) if norm else a


with open(out, "wb") as f:
    f.write(struct.pack("<7i", D, H, L, NH, KV, V, S))
    f.write(block(V, D).tobytes())
    for kind, shape, norm in [("att_norm", (D,), True), ("wq", (D, D), False), ("wk", (KV * hs, D), False),
                              ("wv", (KV * hs, D), False), ("wo", (D, D), False), ("ffn_norm", (D,), True),
                              ("w1", (H, D), False), ("w2", (D, H), False), ("w3", (H, D), False)]:
        for _ in range(L):
            f.write(block(*shape, norm=norm).tobytes())
    f.write(block(D, norm=True).tobytes())
    pos = np.arange(S, dtype=np.float32)[:, None]
    freqs = np.float32(1.0) / (np.float32(10000.0) ** (np.arange(0, hs, 2, dtype=np.float32) / np.float32(hs)))
    f.write(np.cos(pos * freqs).astype(np.float32).tobytes())
    f.write(np.sin(pos * freqs).astype(np.float32).tobytes())
