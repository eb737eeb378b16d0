#!/usr/bin/env bash
# What --html costs: each command with and without it, on files in the page cache.
#   inspect --stats        on a 1.1 GB v0 file (275 M parameters) and its Q8_0 conversion
#   diff                   a 1.08 GB v0 file against itself with one element changed
#                          (the common case: only one block differs) and against a copy
#                          where every element differs (make_pair.py noise: the worst case,
#                          every block goes through the error-shape accumulator)
# Runs alternate (plain, --html, plain, ...) RUNS times (default 5); the table gives the
# best wall time and the best CPU time (user + sys) of each and their ratios. Data goes
# to bench/data/ (gitignored).   bench/html_bench.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
ckpt=$build/cli/ckpt
data=$here/data
py=/usr/bin/python3
runs=${RUNS:-5}
mkdir -p "$data"

[ -f "$data/big-v0.bin" ] || $py "$here/make_big_v0.py" "$data/big-v0.bin"
[ -f "$data/big-q8.bin" ] || "$ckpt" convert "$data/big-v0.bin" "$data/big-q8.bin" --to ak42-v2-q8_0 >/dev/null
if [[ ! -f $data/a.bin || ! -f $data/one.bin ]]; then
  $py "$here/make_pair.py" gen "$data/a.bin"
  cp "$data/a.bin" "$data/one.bin"
  "$ckpt" inspect --json "$data/one.bin" > "$data/one.json"
  $py "$here/make_pair.py" patch "$data/one.bin" "$data/one.json" layers.2.feed_forward.w2.weight 1234567 0.5
fi
[ -f "$data/noisy.bin" ] || $py "$here/make_pair.py" noise "$data/a.bin" "$data/noisy.bin" 1e-3
html=$data/bench-report.html

# best wall and CPU seconds of a command over $runs runs: "WALL CPU"
best() {
  local w=999999 c=999999
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %U %S" -o "$data/time.txt" "$@" >/dev/null 2>&1 || true
    read -r e u s < <(tail -n 1 "$data/time.txt")  # after "Command exited with non-zero status" for diff
    w=$(echo "if ($e < $w) $e else $w" | bc -l)
    c=$(echo "if ($u + $s < $c) $u + $s else $c" | bc -l)
  done
  echo "$w $c"
}

row() {  # label, command... (run with and without --html, interleaved by alternating best() calls)
  local label=$1
  shift
  for f in "$@"; do [ -f "$f" ] && cat "$f" >/dev/null; done  # warm the page cache
  read -r pw pc < <(best "$@")
  read -r hw hc < <(best "$@" --html "$html")
  read -r pw2 pc2 < <(best "$@")
  pw=$(echo "if ($pw2 < $pw) $pw2 else $pw" | bc -l)
  pc=$(echo "if ($pc2 < $pc) $pc2 else $pc" | bc -l)
  printf "%-34s %7.2f s %7.2f s %5.2fx | %7.2f s %7.2f s %5.2fx | %s\n" "$label" "$pw" "$hw" "$(echo "$hw / $pw" | bc -l)" \
    "$pc" "$hc" "$(echo "$hc / $pc" | bc -l)" "$(du -h "$html" | cut -f1)"
}

echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), best of $runs (plain runs twice as many)"
printf "%-34s %9s %9s %6s | %9s %9s %6s | %s\n" "" "wall" "--html" "ratio" "cpu" "--html" "ratio" "report"
row "inspect --stats, v0 1.1 GB" "$ckpt" inspect --stats "$data/big-v0.bin"
row "inspect --stats, Q8_0 0.3 GB" "$ckpt" inspect --stats "$data/big-q8.bin"
row "diff, one element differs" "$ckpt" diff "$data/a.bin" "$data/one.bin"
row "diff, every element differs" "$ckpt" diff "$data/a.bin" "$data/noisy.bin"
