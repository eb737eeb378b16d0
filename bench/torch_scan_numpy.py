#!/usr/bin/python3
"""The peer of `ckpt validate FILE.pt`: what a user writes with torch (Debian's
python3-torch): torch.load the checkpoint and check every
floating tensor for NaN/Inf. Prints the count of non-finite values.
Usage: torch_scan_numpy.py FILE.pt"""
import sys

import torch

# weights_only=False: torch 1.13's safe loader refuses train.py's floats (BINFLOAT); this
# file is our own generated one.
sd = torch.load(sys.argv[1], map_location="cpu", weights_only=False)


def tensors(x):
    if isinstance(x, torch.Tensor):
        yield x
    elif isinstance(x, dict):
        for v in x.values():
            yield from tensors(v)
    elif isinstance(x, (list, tuple)):
        for v in x:
            yield from tensors(v)


bad = 0
for t in tensors(sd):
    if t.is_floating_point():
        bad += int((~torch.isfinite(t)).sum())
print(bad)
