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
