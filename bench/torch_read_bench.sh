#!/usr/bin/env bash
# Reading a PyTorch checkpoint: ckpt against torch on llama2.c's train.py checkpoint of
# bench/make_torch_sources.py (1.2 GB, fp32, with its state as train.py saves it).
#   inspect (header only: the zip directory and data.pkl) against torch.load
#   validate (every member's CRC-32 + NaN/Inf of every tensor) against torch.load +
#     torch.isfinite over every tensor (bench/torch_scan_numpy.py)
#   the floor: cat FILE > /dev/null
# Wall time and peak RSS, each the best of 3 from a warm page cache (farm-bench style).
# Usage: bench/torch_read_bench.sh [build/cli/ckpt]
set -euo pipefail
cd "$(dirname "$0")/.."
CKPT=${1:-build/cli/ckpt}
DATA=bench/data/torch
[ -f "$DATA/ckpt.pt" ] || /usr/bin/python3 bench/make_torch_sources.py "$DATA"
F=$DATA/ckpt.pt
cat "$F" > /dev/null

best() {  # best NAME CMD... -> "seconds peak_MB" of the fastest of 3 runs
  shift  # the name is for the reader of this script
  local b="" m=0
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o /tmp/ckpt-bench.time "$@" > /dev/null 2>&1 || true
    read -r s kb < /tmp/ckpt-bench.time
    if [ -z "$b" ] || (( $(echo "$s < $b" | bc) )); then b=$s; m=$((kb / 1024)); fi
  done
  echo "$b s, $m MB"
}

echo "| job ($(du -h "$F" | cut -f1) train.py checkpoint) | ckpt | torch |"
echo "|---|---|---|"
echo "| read the header / load | $(best inspect "$CKPT" inspect "$F") | $(best load /usr/bin/python3 -c "import torch,sys; torch.load(sys.argv[1], map_location='cpu', weights_only=False)" "$F") |"
echo "| scan every value for NaN/Inf (+ CRC-32 for ckpt) | $(best validate "$CKPT" validate "$F") | $(best scan /usr/bin/python3 bench/torch_scan_numpy.py "$F") |"
echo "| floor: cat the file | $(best cat cat "$F") | |"
