#!/usr/bin/env bash
# Benchmarks `ckpt diff` on a ~1 GB pair (a v0 file of random weights and its ak42 v1
# fp32 conversion with one element changed) against the numpy peer and the bare C loop.
# Data goes to bench/data/ (gitignored). Each tool runs once on a warm page cache,
# under /usr/bin/time -v; the table gives wall time and peak RSS.
#   bench/diff_bench.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
ckpt=$build/cli/ckpt
data=$here/data
py=/usr/bin/python3
mkdir -p "$data"

if [[ ! -f $data/a.bin || ! -f $data/b.bin ]]; then
  echo "generating $data/a.bin (v0) and $data/b.bin (v1 fp32, one element changed)" >&2
  $py "$here/make_pair.py" gen "$data/a.bin"
  "$ckpt" convert "$data/a.bin" "$data/b.bin" --to ak42-v1-fp32
  "$ckpt" inspect --json "$data/b.bin" > "$data/b.json"
  $py "$here/make_pair.py" patch "$data/b.bin" "$data/b.json" layers.2.feed_forward.w2.weight 1234567 0.5
fi
"$ckpt" inspect --json "$data/a.bin" > "$data/a.json"
"$ckpt" inspect --json "$data/b.bin" > "$data/b.json"
cc -O2 -o "$data/bare_loop" "$here/bare_loop.c" -lm

cat "$data/a.bin" "$data/b.bin" > /dev/null  # warm the page cache

measure() {  # name, command...
  local name=$1
  shift
  local log=$data/time-$name.log
  /usr/bin/time -v "$@" > "$data/out-$name.txt" 2> "$log" || true
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  printf '%-10s wall %-10s peak RSS %6d MB\n' "$name" "$wall" $((rss / 1024))
}

echo "pair: $(stat -c %s "$data/a.bin") + $(stat -c %s "$data/b.bin") bytes, $(nproc) cores"
measure ckpt "$ckpt" diff "$data/a.bin" "$data/b.bin"
measure ckpt-json "$ckpt" diff --json "$data/a.bin" "$data/b.bin"
measure bare "$data/bare_loop" "$data/a.bin" 28 "$data/b.bin" 256
measure numpy $py "$here/diff_numpy.py" "$data/a.bin" "$data/a.json" "$data/b.bin" "$data/b.json"
tail -n 3 "$data/out-ckpt.txt"
