#!/usr/bin/env bash
# Benchmarks the layout diagnoses of `ckpt diff` on ~1 GB pairs: a v0 file of random
# weights (make_pair.py gen) against
#   one.bin       the same file with one element changed (the plain diff: nothing to diagnose)
#   mixed.bin     every tensor re-laid out (make_permuted.py mixed: tiles, transposes,
#                 heads reordered, rows shuffled, ...), each diagnosed by name
#   shuffled.bin  every tensor's rows (vectors: elements) shuffled: each tensor takes the
#                 value lookup, one extra pass over A (the worst case)
# with and without diagnoses. Data goes to bench/data/ (gitignored). Each run once per
# round on a warm page cache under /usr/bin/time -v; wall time, CPU time (user + system,
# steadier than wall time on a shared machine) and peak RSS.
#   bench/diagnose_bench.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
rounds=${2:-3}
ckpt=$build/cli/ckpt
data=$here/data
py=/usr/bin/python3
mkdir -p "$data"

[[ -f $data/a.bin ]] || $py "$here/make_pair.py" gen "$data/a.bin"
if [[ ! -f $data/one.bin ]]; then
  cp "$data/a.bin" "$data/one.bin"
  "$ckpt" inspect --json "$data/one.bin" > "$data/one.json"
  $py "$here/make_pair.py" patch "$data/one.bin" "$data/one.json" layers.2.feed_forward.w2.weight 1234567 0.5
fi
[[ -f $data/mixed.bin ]] || $py "$here/make_permuted.py" mixed "$data/a.bin" "$data/mixed.bin"
[[ -f $data/shuffled.bin ]] || $py "$here/make_permuted.py" shuffled "$data/a.bin" "$data/shuffled.bin"

cat "$data/a.bin" "$data/one.bin" "$data/mixed.bin" "$data/shuffled.bin" > /dev/null  # warm the page cache

measure() {  # name, command...
  local name=$1
  shift
  local log=$data/time-$name.log
  /usr/bin/time -v "$@" > "$data/out-$name.txt" 2> "$log" || true
  local wall rss cpu
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$log")
  printf '%-22s wall %-10s cpu %6s s  peak RSS %6d MB\n' "$name" "$wall" "$cpu" $((rss / 1024))
}

echo "pair: $(stat -c %s "$data/a.bin") bytes each, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  echo "round $round"
  measure plain "$ckpt" diff "$data/a.bin" "$data/one.bin"
  measure mixed-no-diagnose "$ckpt" diff --no-diagnose "$data/a.bin" "$data/mixed.bin"
  measure mixed "$ckpt" diff --summary "$data/a.bin" "$data/mixed.bin"
  measure shuffled-no-diagnose "$ckpt" diff --no-diagnose "$data/a.bin" "$data/shuffled.bin"
  measure shuffled "$ckpt" diff --summary "$data/a.bin" "$data/shuffled.bin"
done
echo "diagnoses of the mixed pair (layer 0 and the tensors outside layers):"
col=$(head -n 1 "$data/out-mixed.txt" | awk '{print index($0, "diagnosis")}')
grep -E '^(tok_embeddings|layers\.0\.|norm|freqs)' "$data/out-mixed.txt" | awk -v c="$col" '{printf "  %-34s %s\n", $1, substr($0, c)}'
echo "mixed: $(awk -v c="$col" 'NR > 1 && $2 == "differs" && substr($0, c) != "-"' "$data/out-mixed.txt" | wc -l) of 40 tensors diagnosed"
echo "shuffled: $(grep -cE ' (rows_permuted|permuted) ' "$data/out-shuffled.txt") of 40 tensors diagnosed as permuted"
tail -n 1 "$data/out-mixed.txt"
