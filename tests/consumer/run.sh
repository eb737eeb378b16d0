#!/usr/bin/env bash
# Installs ckpt from BUILD_DIR into a temporary prefix, builds the consumer project
# against the installed package, and runs it on a fixture. Usage: run.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" >/dev/null
out=$("$work/build/consumer" "$src/fixtures/gqa-ak42-v1-fp32.bin" "$work/out.bin")
echo "$out"
grep -q "^ak42-v1-fp32 dim=64 tensors=20$" <<<"$out"
cmp "$work/out.bin" "$src/fixtures/gqa-ak42-v2-q8_0.bin"
test -x "$work/prefix/bin/ckpt"
echo "consumer: ok"
