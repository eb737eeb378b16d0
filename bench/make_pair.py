#!/usr/bin/python3
"""Benchmark data for `ckpt diff`: a ~1 GB llama2.c v0 file of random weights, and
patching one float of a file in place (to make the pair differ by one element).

  make_pair.py gen OUT.bin [LAYERS]           write the v0 file (4 layers: 1.08 GB; 12: 2.7 GB)
  make_pair.py patch FILE INSPECT.json TENSOR FLAT VALUE
                                              set element FLAT of TENSOR (fp32) to VALUE
  make_pair.py noise IN.bin OUT.bin SCALE     copy a v0 file with every float x -> x * (1 + SCALE * N(0, 1))
                                              (every element differs: the diff's slowest case)
"""
import json
import struct
import sys

import numpy as np

# dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len: 271 M floats, 1.08 GB.
CONFIG = (2048, 5632, 4, 16, 16, 32000, 2048)


def gen(path, n_layers=None):
    config = CONFIG if n_layers is None else CONFIG[:2] + (int(n_layers),) + CONFIG[3:]
    dim, hidden, layers, heads, kv, vocab, seq = config
    hs, kvd = dim // heads, dim * kv // heads
    sizes = [vocab * dim] + [dim] * layers + [dim * dim] * layers + [kvd * dim] * layers * 2 + [dim * dim] * layers
    sizes += [dim] * layers + [hidden * dim] * layers * 3 + [dim] + [seq * hs // 2] * 2
    rng = np.random.default_rng(42)
    with open(path, "wb") as f:
        f.write(struct.pack("<7i", *config))
        for n in sizes:
            for start in range(0, n, 1 << 24):
                k = min(1 << 24, n - start)
                f.write((rng.standard_normal(k, dtype=np.float32) * 0.02).astype("<f4").tobytes())


def patch(path, inspect_json, tensor, flat, value):
    tensors = json.load(open(inspect_json))["tensors"]
    t = next(t for t in tensors if t["name"] == tensor)
    with open(path, "r+b") as f:
        f.seek(t["offset"] + 4 * int(flat))
        f.write(struct.pack("<f", float(value)))


def noise(src, dst, scale):
    rng = np.random.default_rng(7)
    with open(src, "rb") as f, open(dst, "wb") as g:
        g.write(f.read(28))  # the v0 header
        while True:
            chunk = f.read(4 << 24)
            if not chunk:
                break
            x = np.frombuffer(chunk, dtype="<f4")
            y = x * (1 + np.float32(scale) * rng.standard_normal(len(x), dtype=np.float32))
            g.write(y.astype("<f4").tobytes())


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(*sys.argv[2:4])
    elif sys.argv[1] == "patch":
        patch(*sys.argv[2:7])
    elif sys.argv[1] == "noise":
        noise(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        sys.exit(__doc__)
