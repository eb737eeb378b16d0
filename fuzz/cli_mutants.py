#!/usr/bin/python3
"""Every ckpt command, through the real binary, on mutants of the fixtures and of the
real files in ../shared/real (when that folder exists). Asserts what a CI user relies on:
exit code 0, 1 or 2; one valid JSON document on stdout with --json; no sanitizer report
on stderr; no hang; convert leaves either the complete output or nothing.

    fuzz/cli_mutants.py BINARY [--seed N] [--count N] [--timeout S] [--keep DIR]

Run it on the ASan + UBSan build (build-asan/cli/ckpt) for the held-out kind of check.
Failing mutants are kept in --keep (default fuzz/findings/cli) with the command line.
"""
import argparse
import glob
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FORMATS = ["llama2c-v0", "ak42-v1-fp32", "ak42-v1-q8_0", "ak42-v2-q8_0", "ak42-v2-q8_0-scales-last",
           "llama2c-tokenizer", "ttml-msgpack"]
HOSTILE_INTS = [0, 1, -1, 2, 3, 7, 31, 32, 64, 255, 256, 4095, 4096, 65535, 65536, 1 << 20, 1 << 24,
                (1 << 24) + 1, 1 << 30, 2**31 - 1, -2**31]
MSGPACK_BYTES = [0xdc, 0xdd, 0xde, 0xdf, 0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb, 0xff, 0x00, 0x7f, 0x80]
SANITIZER_MARKS = [b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b"runtime error:", b"SUMMARY: "]


def sources():
    files = sorted(glob.glob(os.path.join(ROOT, "fixtures", "*.bin")))
    files += sorted(glob.glob(os.path.join(ROOT, "fixtures", "ttml", "*.msgpack")))
    files += sorted(glob.glob(os.path.join(ROOT, "..", "shared", "real", "*.bin")))
    return files


def mutate(rng, data):
    """One mutant of data and a short description of the mutation."""
    d = bytearray(data)
    kind = rng.randrange(6)
    if kind == 0 and len(d) >= 4:  # a hostile int32 in the header
        off = rng.randrange(0, min(len(d) - 3, 64)) & ~3
        struct.pack_into("<i", d, off, rng.choice(HOSTILE_INTS))
        return d, f"int32 at {off}"
    if kind == 1:
        for _ in range(rng.randrange(1, 8)):
            i = rng.randrange(len(d))
            d[i] ^= 1 << rng.randrange(8)
        return d, "bit flips"
    if kind == 2:
        n = rng.randrange(len(d))
        return d[:n], f"truncated to {n}"
    if kind == 3:
        return d + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))), "appended bytes"
    i = rng.randrange(len(d))
    if kind == 4:  # msgpack type and length bytes that lie
        d[i] = rng.choice(MSGPACK_BYTES)
        return d, f"msgpack byte at {i}"
    n = rng.randrange(1, 5)
    d[i:i + n] = bytes(rng.randrange(256) for _ in range(n))
    return d, f"random bytes at {i}"


def command_lines(rng, original, mutant, out):
    fmt = rng.choice(FORMATS)
    return [
        ["inspect", "--json", "--stats", mutant],
        ["inspect", "--json", "--at", str(rng.randrange(1 << 12)), mutant],
        ["inspect", "--json", "--tensor", "layers.0.attention.wq.weight", mutant],
        ["inspect", "--json", "--stats", "--format", fmt, mutant],
        ["inspect", "--stats", mutant],
        ["validate", "--json", mutant],
        ["validate", "--json", "--strict", "--format", fmt, mutant],
        ["validate", "--junit", out + ".xml", mutant],
        ["hash", "--json", mutant],
        ["hash", "--json", "--values", "--algo", "sha256", mutant],
        ["diff", "--json", original, mutant],
        ["diff", "--json", "--ulp", "4", "--equal-nan", "--format-b", fmt, original, mutant],
        ["diff", "--json", "--bytes", original, mutant],
        ["diff", mutant, original],
        ["convert", mutant, out, "--to", "llama2c-v0", "--allow-lossy"],
        ["convert", mutant, out, "--to", "ak42-v2-q8_0", "--allow-lossy"],
        ["convert", mutant, out, "--to", "ttml-msgpack"],
        ["convert", mutant, out, "--to", "ak42-v1-fp32", "--format", fmt],
    ]


def problems(args, proc, out_dir):
    """What is wrong with one run, or an empty list."""
    found = []
    if proc.returncode not in (0, 1, 2):
        found.append(f"exit code {proc.returncode}")
    if any(mark in proc.stderr for mark in SANITIZER_MARKS):
        found.append("sanitizer report")
    if "--json" in args:
        try:
            json.loads(proc.stdout)
        except ValueError:
            found.append("stdout is not one JSON document")
    if args[0] == "convert":
        left = sorted(os.listdir(out_dir))
        expected = ["out"] if proc.returncode == 0 else []
        if left != expected:
            found.append(f"convert exited {proc.returncode} and left {left}")
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=200, help="mutants (each runs every command line)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before a run counts as a hang")
    ap.add_argument("--keep", default=os.path.join(ROOT, "fuzz", "findings", "cli"))
    a = ap.parse_args()
    rng = random.Random(a.seed)
    files = sources()
    work = tempfile.mkdtemp(prefix="ckpt-cli-mutants-")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1")
    failures = runs = 0
    start = time.time()
    try:
        for n in range(a.count):
            original = rng.choice(files)
            with open(original, "rb") as f:
                data, what = mutate(rng, f.read())
            mutant = os.path.join(work, "mutant.bin")
            with open(mutant, "wb") as f:
                f.write(data)
            out_dir = os.path.join(work, "out")
            for args in command_lines(rng, original, mutant, os.path.join(out_dir, "out")):
                shutil.rmtree(out_dir, ignore_errors=True)
                os.mkdir(out_dir)
                runs += 1
                try:
                    proc = subprocess.run([a.binary] + args, capture_output=True, timeout=a.timeout, env=env)
                    found = problems(args, proc, out_dir)
                except subprocess.TimeoutExpired:
                    found, proc = [f"no result after {a.timeout:.0f} s"], None
                if found:
                    failures += 1
                    os.makedirs(a.keep, exist_ok=True)
                    kept = os.path.join(a.keep, f"seed{a.seed}-{n}.bin")
                    shutil.copyfile(mutant, kept)
                    print(f"FAIL {'; '.join(found)}: {os.path.basename(original)} ({what}) -> {kept}\n"
                          f"  ckpt {' '.join(args)}", file=sys.stderr)
                    if proc is not None:
                        print("  " + proc.stderr.decode(errors="replace")[-2000:], file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"cli_mutants: {a.count} mutants, {runs} runs, {failures} failures, {time.time() - start:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
