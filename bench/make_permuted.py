#!/usr/bin/python3
"""Benchmark data for the layout diagnoses of `ckpt diff`: from a llama2.c v0 file
(make_pair.py gen), a v0 file in which every tensor holds the same values in another
order, the ways ports to other hardware re-lay weights out.

  make_permuted.py mixed IN.bin OUT.bin     each kind of tensor re-laid out another way:
      tok_embeddings rows shuffled, attention norms reversed, wq heads reordered,
      wk transposed, wv tilized (32x32 tiles of 16x16 faces), wo column halves swapped,
      ffn norms rotated by one, w1 transposed under its own shape, w2 reshaped to
      (hidden, dim) and transposed, w3 untilized, final norm and RoPE tables reversed
  make_permuted.py shuffled IN.bin OUT.bin  every matrix's rows shuffled and every vector
      shuffled: no order ckpt can name by a formula, so each tensor takes the value
      lookup (one extra pass over A): the worst case
"""
import struct
import sys

import numpy as np


def tensors(config):
    dim, hidden, layers, heads, kv, vocab, seq = config
    hs, kvd = dim // heads, dim * kv // heads
    out = [("tok_embeddings", (abs(vocab), dim))]
    out += [("attention_norm", (dim,))] * layers
    out += [("wq", (dim, dim))] * layers + [("wk", (kvd, dim))] * layers + [("wv", (kvd, dim))] * layers
    out += [("wo", (dim, dim))] * layers + [("ffn_norm", (dim,))] * layers
    out += [("w1", (hidden, dim))] * layers + [("w2", (dim, hidden))] * layers + [("w3", (hidden, dim))] * layers
    out += [("norm", (dim,)), ("freqs_cos", (seq, hs // 2)), ("freqs_sin", (seq, hs // 2))]
    return out, hs


def tilize(m):
    r, c = m.shape
    return m.reshape(r // 32, 2, 16, c // 32, 2, 16).transpose(0, 3, 1, 4, 2, 5).reshape(r, c)


def untilize(m):
    r, c = m.shape
    return m.reshape(r // 32, c // 32, 2, 2, 16, 16).transpose(0, 2, 4, 1, 3, 5).reshape(r, c)


def mixed(kind, m, hs, rng):
    if kind == "tok_embeddings":
        return m[rng.permutation(m.shape[0])]
    if kind in ("attention_norm", "norm", "freqs_cos", "freqs_sin"):
        return m[::-1]
    if kind == "ffn_norm":
        return np.roll(m, -1)
    if kind == "wq":  # heads in reverse order, rows inside each head kept
        return m.reshape(-1, hs, m.shape[1])[::-1].reshape(m.shape)
    if kind in ("wk", "w1"):  # (w1 keeps its (hidden, dim) header over dim x hidden data)
        return m.T.copy().reshape(m.shape)
    if kind == "wv":
        return tilize(m)
    if kind == "wo":
        return np.roll(m, m.shape[1] // 2, axis=1)
    if kind == "w2":  # the dim * hidden elements read as (hidden, dim), transposed
        return m.reshape(m.shape[1], m.shape[0]).T.copy().reshape(m.shape)
    if kind == "w3":
        return untilize(m)
    raise ValueError(kind)


def shuffled(kind, m, hs, rng):
    if m.ndim == 1:
        return m[rng.permutation(m.shape[0])]
    return m[rng.permutation(m.shape[0])]


def main(mode, src, dst):
    raw = np.memmap(src, dtype=np.uint8, mode="r")
    config = struct.unpack("<7i", bytes(raw[:28]))
    table, hs = tensors(config)
    rng = np.random.default_rng(7)
    f32 = np.memmap(src, dtype="<f4", mode="r", offset=28)
    change = mixed if mode == "mixed" else shuffled
    off = 0
    with open(dst, "wb") as out:
        out.write(bytes(raw[:28]))
        for kind, shape in table:
            n = int(np.prod(shape))
            m = np.array(f32[off:off + n]).reshape(shape)
            out.write(np.ascontiguousarray(change(kind, m, hs, rng), dtype="<f4").tobytes())
            off += n


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("mixed", "shuffled"):
        sys.exit(__doc__)
    main(*sys.argv[1:])
