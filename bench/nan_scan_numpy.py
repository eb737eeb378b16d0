#!/usr/bin/python3
"""The numpy peer of `ckpt validate`'s data scan: memory-map a v0 checkpoint's fp32
payload and count NaN/Inf values chunk by chunk, as a user would with numpy.
Usage: nan_scan_numpy.py FILE. Prints the count, wall time and MB/s."""
import sys
import time

import numpy as np

HEADER = 28  # v0: seven int32 header values, then fp32 to the end


def main():
    path = sys.argv[1]
    t0 = time.perf_counter()
    data = np.memmap(path, dtype=np.float32, mode="r", offset=HEADER)
    bad = 0
    step = 1 << 24  # 64 MiB slices: bounded memory, like ckpt's chunks
    for i in range(0, data.shape[0], step):
        bad += int(np.count_nonzero(~np.isfinite(data[i:i + step])))
    dt = time.perf_counter() - t0
    mb = data.nbytes / 1e6
    print(f"numpy: {bad} non-finite values in {mb:.0f} MB, {dt:.3f} s, {mb / dt:.0f} MB/s")


if __name__ == "__main__":
    main()
