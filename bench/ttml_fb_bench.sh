#!/usr/bin/env bash
# Streaming speed of tt-train flatbuffer checkpoints. The 1.1 GB v0 of make_big_v0.py
# (275 M parameters) is converted once to a tt-train folder (bfloat16 TILE tensors, one
# .tensorbin per parameter) and to a tar of it; then inspect --stats, validate and
# hash --values run on the folder, the tar and the v0 file, with the page cache warm,
# beside the read limit (cat of the same bytes). MB/s is of the bytes each input holds.
# Usage: bench/ttml_fb_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CKPT=${CKPT:-build/cli/ckpt}
mkdir -p bench/data
big=bench/data/big-v0.bin
folder=bench/data/big-ttml
tar=bench/data/big-ttml.tar
[ -f "$big" ] || /usr/bin/python3 bench/make_big_v0.py "$big"
[ -d "$folder" ] || "$CKPT" convert "$big" "$folder" --to ttml-flatbuffer 2>/dev/null
[ -f "$tar" ] || "$CKPT" convert "$big" "$tar" --to ttml-tar 2>/dev/null
cat "$big" "$folder"/* "$tar" >/dev/null  # warm the page cache: every run reads from memory

run() {  # label, megabytes, command...
  local label=$1 mb=$2; shift 2
  /usr/bin/time -f "%e %M" -o /tmp/ckpt-bench-time "$@" >/dev/null || true
  read -r secs kb </tmp/ckpt-bench-time
  printf "%-44s %7.2f s %8.0f MB/s %7d MB peak RSS\n" "$label" "$secs" "$(echo "$mb / $secs" | bc -l)" $((kb / 1024))
}

v0_mb=$(( $(stat -c %s "$big") / 1000000 ))
fb_mb=$(( $(du -sb "$folder" | cut -f1) / 1000000 ))
tar_mb=$(( $(stat -c %s "$tar") / 1000000 ))
echo "v0 $v0_mb MB; folder $fb_mb MB ($(ls "$folder" | wc -l) files); tar $tar_mb MB; $(nproc) cores"
run "cat folder > /dev/null (read limit)" "$fb_mb" sh -c "cat $folder/* >/dev/null"
run "ckpt inspect (header-only open)" "$fb_mb" "$CKPT" inspect "$folder"
run "ckpt inspect --stats --json, folder" "$fb_mb" "$CKPT" inspect --stats --json "$folder"
run "ckpt inspect --stats --json, tar" "$tar_mb" "$CKPT" inspect --stats --json "$tar"
run "ckpt inspect --stats --json, v0 (fp32)" "$v0_mb" "$CKPT" inspect --stats --json "$big"
run "ckpt validate, folder" "$fb_mb" "$CKPT" validate "$folder"
run "ckpt validate, v0" "$v0_mb" "$CKPT" validate "$big"
run "ckpt hash --values, folder" "$fb_mb" "$CKPT" hash --values "$folder"
run "ckpt hash --values, v0" "$v0_mb" "$CKPT" hash --values "$big"
run "ckpt convert folder -> v0" "$fb_mb" "$CKPT" convert "$folder" /tmp/ckpt-bench-out.bin --to llama2c-v0 \
  --n-heads 12 --seq-len 1024 --vocab-size 32000
rm -rf /tmp/ckpt-bench-out.bin /tmp/ckpt-bench-fb
run "ckpt convert v0 -> folder (bf16 tiles)" "$v0_mb" "$CKPT" convert "$big" /tmp/ckpt-bench-fb --to ttml-flatbuffer
rm -rf /tmp/ckpt-bench-fb
