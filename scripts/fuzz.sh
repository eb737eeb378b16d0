#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS
# (default 30) on a corpus seeded from the fixtures. Findings land in fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
CKPT_WITH_CLANG=1 ./scripts/install-deps.sh
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCKPT_FUZZ=ON \
  -DCKPT_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
mkdir -p fuzz/findings
status=0
for bin in build-fuzz/fuzz/fuzz_*; do
  name=$(basename "$bin")
  corpus=fuzz/corpus-$name
  mkdir -p "$corpus"
  /usr/bin/python3 fuzz/make_seeds.py "$corpus" "$name"
  echo "fuzz: $name for ${seconds}s" >&2
  if ! "$bin" -max_total_time="$seconds" -max_len=16384 -rss_limit_mb=2048 -timeout=10 \
      -dict=fuzz/ckpt.dict -artifact_prefix=fuzz/findings/"$name"- -print_final_stats=1 "$corpus" \
      2>fuzz/findings/"$name".log; then
    echo "fuzz: $name FOUND A CRASH, see fuzz/findings/$name.log" >&2
    tail -40 fuzz/findings/"$name".log >&2
    status=1
  else
    grep -E "stat::number_of_executed_units" fuzz/findings/"$name".log >&2 || true
  fi
done
exit $status
