#!/usr/bin/python3
"""Writes a tt-train Llama msgpack file the way the Python exporters leave it: every
tensor's data a list of float64 (0xcb), shapes as uint32 bytes, the usual per-tensor keys.

    /usr/bin/python3 bench/make_ttml_bench.py OUT [--dim 512 --hidden 1376 --layers 8 --vocab 32000]

The defaults give about 42 M values, a 380 MB file. The float64 records are built with
numpy (the exporters' own packb would take minutes and gigabytes for this size); the
bytes are the same as msgpack.packb of a list of Python floats.
"""
import argparse

import msgpack
import numpy as np


def f64_records(values: np.ndarray) -> bytes:
    rec = np.empty(values.size, dtype=[("tag", "u1"), ("value", ">f8")])
    rec["tag"] = 0xCB
    rec["value"] = values.astype(np.float64)
    return rec.tobytes()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--hidden", type=int, default=1376)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--vocab", type=int, default=32000)
    a = ap.parse_args()
    D, H = a.dim, a.hidden
    V = (a.vocab + 31) // 32 * 32
    params = [("tok_emb/weight", (V, D))]
    for i in range(a.layers):
        b = f"llama_block_{i}/"
        params += [
            (b + "attention_norm/gamma", (1, D)),
            (b + "attention/q_linear/weight", (D, D)),
            (b + "attention/kv_linear/weight", (2 * D, D)),
            (b + "attention/out_linear/weight", (D, D)),
            (b + "mlp_norm/gamma", (1, D)),
            (b + "mlp/w1/weight", (H, D)),
            (b + "mlp/w2/weight", (D, H)),
            (b + "mlp/w3/weight", (H, D)),
        ]
    params.append(("ln_fc/gamma", (1, D)))
    rng = np.random.default_rng(1234)
    pk = msgpack.Packer(use_bin_type=True)
    with open(a.out, "wb") as f:
        f.write(pk.pack_map_header(7 * len(params) + 1))
        f.write(pk.pack("adamw/steps") + pk.pack([6, 5000]))
        for name, (rows, cols) in params:
            t = "llama/llama/" + name
            shape = np.array([1, 1, rows, cols], dtype="<u4").tobytes()
            f.write(pk.pack(t + "/value/shape") + pk.pack([12, shape]))
            for k, v in (("data_type", 0), ("layout", 1), ("storage_type", 1)):
                f.write(pk.pack(t + "/value/" + k) + pk.pack([2, v]))
            vals = rng.standard_normal(rows * cols, dtype=np.float32) * np.float32(0.02)
            if name.endswith("gamma"):
                vals += np.float32(1.0)
            f.write(pk.pack(t + "/value/data") + pk.pack_array_header(2) + pk.pack(10))
            f.write(pk.pack_array_header(vals.size) + f64_records(vals))
            f.write(pk.pack(t + "/requires_grads") + pk.pack([0, True]))
            f.write(pk.pack(t + "/has_grads") + pk.pack([0, False]))


if __name__ == "__main__":
    main()
