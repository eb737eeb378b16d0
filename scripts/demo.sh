#!/usr/bin/env bash
# Installs what is missing, builds ckpt and inspects a bundled fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCKPT_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target ckpt
./build/cli/ckpt inspect --stats fixtures/gqa-ak42-v2-q8_0.bin
