#!/usr/bin/env bash
# Installs what is missing, builds ckpt and runs the whole test suite (ctest).
# CKPT_SANITIZE=0 skips the AddressSanitizer + UBSan build of the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
