#!/usr/bin/env bash
# Benchmarks `ckpt validate`'s data scan against numpy doing the same NaN/Inf scan on a
# ~1 GB generated v0 file (bench/data/, gitignored). Both run on a warm page cache (the
# file is read once first), best of RUNS wall times. Usage: bench/validate_scan_bench.sh [build dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
ckpt=$build/cli/ckpt
py=/usr/bin/python3  # has numpy
data=$here/data/bench_v0.bin
runs=${RUNS:-3}

mkdir -p "$here/data"
if [[ ! -f $data ]]; then
  echo "generating $data"
  "$py" "$here/gen_v0.py" "$data"
fi
bytes=$(stat -c %s "$data")
cat "$data" > /dev/null  # warm the page cache: we measure the scan, not the disk

best() {  # best wall time (seconds) of $runs runs of the command
  local best=
  for _ in $(seq "$runs"); do
    local t0 t1 dt
    t0=$(date +%s.%N)
    "$@" > /dev/null || [[ $? -eq 1 ]]
    t1=$(date +%s.%N)
    dt=$(echo "$t1 - $t0" | bc -l)
    if [[ -z $best ]] || (( $(echo "$dt < $best" | bc -l) )); then best=$dt; fi
  done
  echo "$best"
}

report() {
  printf '%-34s %8.3f s %8.0f MB/s\n' "$1" "$2" "$(echo "$bytes / $2 / 1000000" | bc -l)"
}

echo "file: $data ($bytes bytes), $(nproc) cores, best of $runs"
report "ckpt validate --no-scan" "$(best "$ckpt" validate --no-scan "$data")"
report "ckpt validate (1 thread)" "$(best "$ckpt" validate --threads 1 "$data")"
report "ckpt validate (2 threads)" "$(best "$ckpt" validate --threads 2 "$data")"
report "numpy memmap isfinite" "$(best "$py" "$here/nan_scan_numpy.py" "$data")"
report "cat > /dev/null (read limit)" "$(best cat "$data")"

# The Q8_0 path (int8 + scales: -128, scale sign and finiteness, zero groups).
q8=$here/data/bench_v2.bin
[[ -f $q8 ]] || "$ckpt" convert "$data" "$q8" --to ak42-v2-q8_0 > /dev/null 2>&1
q8_bytes=$(stat -c %s "$q8")
cat "$q8" > /dev/null
t=$(best "$ckpt" validate "$q8")
printf '%-34s %8.3f s %8.0f MB/s (%s bytes)\n' "ckpt validate, ak42-v2-q8_0 copy" "$t" \
  "$(echo "$q8_bytes / $t / 1000000" | bc -l)" "$q8_bytes"

# --no-scan is constant time: a sparse file shaped like Meta's Llama-2-7B v0 export
# (26,954,711,068 bytes, no disk used) takes as long as the 1 MB one.
sparse=$here/data/sparse_7b_v0.bin
if [[ ! -f $sparse ]]; then
  "$py" -c "import struct,sys; open(sys.argv[1],'wb').write(struct.pack('<7i',4096,11008,32,32,32,-32000,2048))" "$sparse"
  truncate -s 26954711068 "$sparse"
fi
t=$(best "$ckpt" validate --no-scan "$sparse")
printf '%-34s %8.3f s (27 GB sparse file)\n' "ckpt validate --no-scan (7B shape)" "$t"
