#!/usr/bin/python3
"""Writes the small genuine checkpoints the torch reader tests use (a few KB each).
Needs torch and numpy (Debian: /usr/bin/python3 with python3-torch); the tests only read
the committed outputs, so the test run does not need torch. Deterministic: fixed seed,
fixed archive names; except tiny_state_dict_legacy.pt, whose storage keys are C pointers
(str(storage._cdata)) and so change from run to run (the tests assert no key values).
The fuzz/ folder holds inputs the fuzzers found (fuzz_regression_test.cpp); they are not
generated. Usage: make_torch_fixtures.py [OUTDIR]"""
import io
import json
import os
import struct
import sys
import zipfile

import numpy as np
import torch

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))


def tiny_state_dict():
    """A llama2.c-shaped model: dim 8, one layer, vocab 16, output tied to the embedding."""
    g = torch.Generator().manual_seed(1234)
    emb = torch.nn.Parameter(torch.randn(16, 8, generator=g))
    sd = {
        "tok_embeddings.weight": emb,
        "layers.0.attention.wq.weight": torch.randn(8, 8, generator=g),
        "layers.0.attention_norm.weight": torch.ones(8),
        "norm.weight": torch.ones(8),
        "output.weight": emb,  # tied: the same Parameter under two keys, one storage
    }
    return sd


def save_zip(obj, name):
    path = os.path.join(OUT, name)
    torch.save(obj, path)
    return path


def write_safetensors(path, tensors, metadata=None):
    """The reference layout: u64 header length, JSON padded with spaces to 8 bytes, data."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, arr in tensors.items():
        raw = arr.tobytes()
        dtype = {np.float32: "F32", np.float16: "F16", np.int64: "I64", np.uint8: "U8"}[arr.dtype.type]
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    torch.manual_seed(0)
    sd = tiny_state_dict()
    save_zip(sd, "tiny_state_dict.pt")
    torch.save(sd, os.path.join(OUT, "tiny_state_dict_legacy.pt"), _use_new_zipfile_serialization=False)

    # Dtypes and views: f16, bf16, int64, a transposed (non-contiguous) view, a slice
    # with a storage offset, a 0-dim scalar.
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = {
        "f16": torch.arange(6, dtype=torch.float16) / 4,
        "bf16": torch.arange(6, dtype=torch.bfloat16) - 2,
        "i64": torch.arange(5, dtype=torch.int64) * 3,
        "base": base,
        "transposed": base.t(),
        "row2": base[2],
        "scalar": torch.tensor(2.5),
    }
    save_zip(views, "views.pt")

    # A train.py-style checkpoint: model, AdamW state after one step, scalars, args.
    model = torch.nn.Linear(4, 3)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    ckpt = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "model_args": {"dim": 4, "n_layers": 1, "vocab_size": 3, "multiple_of": 32, "norm_eps": 1e-5},
        "iter_num": 5,
        "best_val_loss": torch.tensor(1.5),
        "config": {"batch_size": 2, "learning_rate": 1e-3, "dataset": "tinystories"},
    }
    save_zip(ckpt, "train_checkpoint.pt")

    # numpy values inside a checkpoint (numpy.core.multiarray._reconstruct, scalar, dtype).
    save_zip({"np_array": np.arange(3, dtype=np.float32), "np_scalar": np.float64(0.25), "w": torch.zeros(2)},
             "numpy_values.pt")

    # The tiny state dict again, every member deflated (torch itself stores them).
    src = zipfile.ZipFile(os.path.join(OUT, "tiny_state_dict.pt"))
    with zipfile.ZipFile(os.path.join(OUT, "tiny_state_dict_deflated.pt"), "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, src.read(info.filename))

    # A member with a ZIP64 local extra (Python writes one when forced).
    with zipfile.ZipFile(os.path.join(OUT, "zip64_member.zip"), "w", zipfile.ZIP_STORED) as z:
        zi = zipfile.ZipInfo("archive/data/0", date_time=(2020, 1, 1, 0, 0, 0))
        with z.open(zi, "w", force_zip64=True) as f:
            f.write(bytes(range(16)))

    # One object through every protocol: text opcodes (0), binary (1, 2), bytes (3),
    # frames, sets and MEMOIZE (4), bytearray8 (5).
    import pickle
    obj = {"a": [1, 2.5, "x\u00e9", b"y", None, True, (1, 2), {3}, frozenset({4}), bytearray(b"z"), 2 ** 70, -5,
                 300, 70000, -(2 ** 40)], "b": "x\u00e9"}
    for proto in range(6):
        with open(os.path.join(OUT, "object_p%d.pkl" % proto), "wb") as f:
            pickle.dump(obj, f, protocol=proto)

    write_safetensors(os.path.join(OUT, "tiny.safetensors"),
                      {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(4, dtype=np.float16),
                       "c": np.arange(2, dtype=np.int64)},
                      metadata={"format": "pt"})


if __name__ == "__main__":
    main()
