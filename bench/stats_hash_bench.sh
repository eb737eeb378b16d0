#!/usr/bin/env bash
# Benchmarks `ckpt inspect --stats` against a numpy script computing the same statistics,
# and `ckpt hash` against sha256sum / xxhsum, on a ~1.1 GB v0 file in the page cache.
# Prints wall time and peak RSS for each. Usage: bench/stats_hash_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CKPT=${CKPT:-build/cli/ckpt}
mkdir -p bench/data
big=bench/data/big-v0.bin
[ -f "$big" ] || /usr/bin/python3 bench/make_big_v0.py "$big"
cat "$big" >/dev/null  # warm the page cache: every run reads from memory
size_mb=$(( $(stat -c %s "$big") / 1000000 ))

run() {  # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o /tmp/ckpt-bench-time "$@" >/dev/null
  read -r secs kb </tmp/ckpt-bench-time
  printf "%-34s %7.2f s %8.0f MB/s %7d MB peak RSS\n" "$label" "$secs" "$(echo "$size_mb / $secs" | bc -l)" $((kb / 1024))
}

echo "file: $big ($size_mb MB), $(nproc) cores"
run "cat > /dev/null (read limit)" cat "$big"
run "ckpt inspect --stats --json" "$CKPT" inspect --stats --json "$big"
run "numpy stats (memmap)" /usr/bin/python3 bench/stats_numpy.py "$big"
run "ckpt hash --algo xxh64" "$CKPT" hash "$big"
command -v xxhsum >/dev/null && run "xxhsum -H64 (whole file only)" xxhsum -H1 "$big"
run "ckpt hash --algo sha256" "$CKPT" hash --algo sha256 "$big"
run "sha256sum (whole file only)" sha256sum "$big"
run "ckpt hash --values" "$CKPT" hash --values "$big"
