#!/usr/bin/env bash
# Installs, with apt-get, whatever ckpt needs to build, test and benchmark that is
# not already on this Debian machine. Safe to run again: it only installs what is missing.
set -euo pipefail

packages=(
  cmake g++ make
  libfmt-dev libeigen3-dev libmsgpack-cxx-dev libgtest-dev libgmock-dev
  libcli11-dev nlohmann-json3-dev libxxhash-dev libssl-dev zlib1g-dev libsleef-dev
  libflatbuffers-dev flatbuffers-compiler flatbuffers-compiler-dev
  python3 python3-numpy python3-msgpack
  # The HTML report tests: headless Chromium renders the pages, libpng reads its screenshots.
  chromium libpng-dev
)

# The fuzzers and the sanitizer build need clang and its runtime.
if [ "${CKPT_WITH_CLANG:-0}" = 1 ]; then
  packages+=(clang libclang-rt-dev clang-format)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
