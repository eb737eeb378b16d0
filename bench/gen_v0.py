#!/usr/bin/python3
"""Writes a llama2.c v0 checkpoint of random weights (about 1 GB by default) for the
validate scan benchmark. RoPE tables follow llama2.c's precompute_freqs_cis in fp32, so
the file validates clean. Usage: gen_v0.py OUT [dim hidden layers heads kv vocab seq]."""
import struct
import sys

import numpy as np


def main():
    out = sys.argv[1]
    dim, hidden, layers, heads, kv, vocab, seq = (
        [int(x) for x in sys.argv[2:9]] if len(sys.argv) > 2 else [1024, 2816, 16, 16, 16, 32000, 1024])
    hs = dim // heads
    kvd = kv * hs
    rng = np.random.default_rng(0)

    def rand(n):  # in 16M-element slices so memory stays small
        while n > 0:
            k = min(n, 1 << 24)
            yield (rng.standard_normal(k, dtype=np.float32) * np.float32(0.02))
            n -= k

    with open(out, "wb") as f:
        f.write(struct.pack("<7i", dim, hidden, layers, heads, kv, vocab, seq))
        sizes = [vocab * dim] + [dim] * layers + [dim * dim] * layers + [kvd * dim] * layers * 2 + \
                [dim * dim] * layers + [dim] * layers + [hidden * dim] * layers * 3 + [dim]
        for i, n in enumerate(sizes):
            norm = n == dim
            for chunk in rand(n):
                f.write((np.float32(1) + chunk).tobytes() if norm else chunk.tobytes())
        freqs = np.float32(1.0) / (np.float32(10000.0) ** (np.arange(0, hs, 2, dtype=np.float32)[: hs // 2] / np.float32(hs)))
        t = np.arange(seq, dtype=np.float32)
        angles = np.outer(t, freqs).astype(np.float32)
        f.write(np.cos(angles.astype(np.float64)).astype(np.float32).tobytes())
        f.write(np.sin(angles.astype(np.float64)).astype(np.float32).tobytes())


if __name__ == "__main__":
    main()
