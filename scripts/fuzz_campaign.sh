#!/usr/bin/env bash
# A long fuzzing campaign: every target for SECONDS (default 1800), as many at once as
# there are cores. Executions run on the fast build (UBSan + libstdc++ assertions, no
# ASan, about three times the speed); every input the campaign keeps is then replayed
# on the ASan + UBSan build, so an out-of-bounds access that left no trace in the fast
# build is still caught. Findings land in fuzz/findings/, one line per target is
# appended to fuzz/findings/campaign.tsv (date, target, seconds, executions, exec/s,
# corpus size, result).
#   scripts/fuzz_campaign.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-1800}
shift || true
jobs=$(nproc 2>/dev/null || echo 2)

targets=("$@")
CKPT_WITH_CLANG=1 ./scripts/install-deps.sh
build() {  # build DIR SANITIZERS
  CC=clang CXX=clang++ cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCKPT_FUZZ=ON \
    -DCKPT_BUILD_TESTS=OFF -DCKPT_FUZZ_SANITIZERS="$2" >/dev/null
  cmake --build "$1" -j"$jobs" >/dev/null
}
build build-fuzz address,undefined
build build-fuzz-fast undefined

if [ ${#targets[@]} -eq 0 ]; then
  for bin in build-fuzz-fast/fuzz/fuzz_*; do targets+=("$(basename "$bin")"); done
fi
mkdir -p fuzz/findings

# One target: seed, fuzz fast, replay the corpus under ASan, record the line.
campaign() {
  local name=$1 corpus=fuzz/corpus-$1 log=fuzz/findings/campaign-$1.log result=clean
  mkdir -p "$corpus"
  /usr/bin/python3 fuzz/make_seeds.py "$corpus" "$name"
  if ! build-fuzz-fast/fuzz/"$name" -max_total_time="$seconds" -max_len=16384 -rss_limit_mb=2048 \
      -timeout=10 -dict=fuzz/ckpt.dict -artifact_prefix=fuzz/findings/"$name"- -print_final_stats=1 \
      "$corpus" >"$log" 2>&1; then
    result=FOUND
  fi
  local execs rate
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  # -runs=0 executes every corpus input once and mutates nothing.
  if ! build-fuzz/fuzz/"$name" -runs=0 -rss_limit_mb=2048 -timeout=30 \
      -artifact_prefix=fuzz/findings/"$name"-asan- "$corpus" >"$log.asan" 2>&1; then
    result=FOUND-ASAN
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$name" "$seconds" "${execs:-0}" "${rate:-0}" \
    "$(ls "$corpus" | wc -l)" "$result" >>fuzz/findings/campaign.tsv
  echo "fuzz campaign: $name ${execs:-0} executions in ${seconds}s: $result" >&2
  [ "$result" = clean ]
}

status=0
running=0
for name in "${targets[@]}"; do
  campaign "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status
