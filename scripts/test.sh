#!/usr/bin/env bash
# Installs what is missing, builds ckpt and runs the whole test suite:
#   1. the GoogleTest suite on a Release build (ctest);
#   2. the same suite built with AddressSanitizer + UBSan (leaks included);
#   3. every libFuzzer target for CKPT_FUZZ_SECONDS (default 30) each;
#   first, that every C++ source is formatted as .clang-format says.
# CKPT_SANITIZE=0 skips step 2, CKPT_FUZZ_SECONDS=0 skips step 3.
set -euo pipefail
cd "$(dirname "$0")/.."
CKPT_WITH_CLANG=1 ./scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "== formatting (clang-format --dry-run --Werror)" >&2
find formats cli diff hash inspect validate tests fuzz fixtures bench \( -name '*.cpp' -o -name '*.hpp' \) -print0 |
  xargs -0 clang-format --dry-run --Werror

echo "== release build and tests" >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCKPT_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

if [ "${CKPT_SANITIZE:-1}" != 0 ]; then
  echo "== ASan + UBSan build and tests" >&2
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCKPT_SANITIZE=ON -DCKPT_BUILD_TESTS=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs"
fi

if [ "${CKPT_FUZZ_SECONDS:-30}" != 0 ]; then
  echo "== fuzz targets, ${CKPT_FUZZ_SECONDS:-30}s each" >&2
  ./scripts/fuzz.sh "${CKPT_FUZZ_SECONDS:-30}"
fi
