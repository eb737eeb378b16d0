#!/usr/bin/python3
"""Writes tiny seed files of every llama2.c layout for the fuzzers (a few KB each, so
that libFuzzer runs thousands of executions a second), reusing the independent
numpy writer of fixtures/crosscheck_writer.py, plus the committed tokenizer and
tt-train fixtures (kept when already there).  The torch and safetensors targets get
seeds of their own instead (torch_seeds.py: the fixtures/torch files cut to size).
Usage: make_seeds.py OUTDIR [TARGET]"""
import glob
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
import crosscheck_writer as w  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_seeds  # noqa: E402

TINY = {
    "tiny": (16, 24, 1, 2, 1, 8, 4, True),       # GQA, group size 16
    "tinyuntied": (8, 16, 2, 2, 2, 4, 2, False),  # untied classifier, group size 8
}

if __name__ == "__main__":
    out = sys.argv[1]
    target = sys.argv[2] if len(sys.argv) > 2 else ""
    if target in torch_seeds.SEEDS:
        torch_seeds.SEEDS[target](out)
        sys.exit(0)
    w.CONFIGS = TINY
    w.main(out)
    fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
    for f in glob.glob(os.path.join(fixtures, "tok96*.bin")) + glob.glob(os.path.join(fixtures, "ttml", "*.msgpack")):
        target = os.path.join(out, os.path.basename(f))
        if not os.path.exists(target):
            shutil.copyfile(f, target)
    # tt-train flatbuffer checkpoints: the .tensorbin fixtures, and a one-tensor
    # checkpoint (metadata.flatbuffer, its .tensorbin, and both as a ustar archive),
    # small enough for the fuzzers' 16 KB inputs.
    for f in glob.glob(os.path.join(fixtures, "ttml", "fb", "tensorbin", "*.tensorbin")):
        target = os.path.join(out, os.path.basename(f))
        if not os.path.exists(target):
            shutil.copyfile(f, target)
    try:
        import io
        import tarfile
        import tempfile
        import numpy as np
        sys.path.insert(0, os.path.join(fixtures, "ttml"))
        import make_flatbuffer_fixtures as fbf  # noqa: E402
        m = fbf.MetadataWriter()
        key = "llama/llama/ln_fc/gamma/value"
        values = np.arange(64, dtype=np.float32).reshape(1, 1, 1, 64) / 8
        m.put_tensor(key, None)
        m.put_deferred(key + "/shape", "VectorUInt8", bytes(np.array([1, 1, 1, 64], "<u4").tobytes()))
        m.put_scalar(key + "/data_type", "IntValue", fbf.BF16)
        m.put_scalar(key + "/layout", "IntValue", fbf.TILE)
        m.put_scalar("AdamW/steps", "SizeTValue", 10)
        meta = m.finish()
        with tempfile.TemporaryDirectory() as tmp:
            tb = os.path.join(tmp, fbf.tensor_file_name(key))
            fbf.write_tensorbin(tb, [1, 1, 1, 64], fbf.BF16, fbf.TILE,
                                [((0, 0), fbf.tensor_payload(values, [1, 1, 1, 64], fbf.BF16, fbf.TILE))])
            tensorbin = open(tb, "rb").read()
        with open(os.path.join(out, "micro_metadata.flatbuffer"), "wb") as f:
            f.write(meta)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for name, data in (("metadata.flatbuffer", meta), (fbf.tensor_file_name(key), tensorbin)):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        with open(os.path.join(out, "micro_checkpoint.tar"), "wb") as f:
            f.write(buf.getvalue())
    except ImportError as e:  # the default python3 may lack numpy/flatbuffers: the other seeds still work
        print(f"make_seeds: no flatbuffer seeds ({e})", file=sys.stderr)
