#!/usr/bin/env bash
# ckpt convert against llama2.c's export.py (Debian's python3-torch) on the sources
# export.py reads: a Meta folder (2 bf16 shards) and a Hugging Face folder (bf16
# safetensors), 1.1 GB each, 2.2 GB in fp32 (bench/make_torch_sources.py, 16 layers,
# multi-head so that export.py --hf runs). For each: wall time and peak RSS of both
# (GNU time), the reference floor of reading the source and writing the output in the same
# run (cat SRC > /dev/null; dd of the output's size), and cmp of the two outputs.
# Then ckpt's peak RSS on a Llama-2-70B-shaped source (2 layers of 70B's shapes, a sparse
# safetensors file), which does not depend on the number of layers.
#
# Usage: LLAMA2C=/path/to/llama2.c[.git] bench/export_bench.sh [build/cli/ckpt]
set -euo pipefail
cd "$(dirname "$0")/.."
CKPT=${1:-build/cli/ckpt}
DATA=bench/data/export
TOOLS=$DATA/llama2c
OUT=$DATA/out
mkdir -p "$TOOLS" "$OUT"
: "${LLAMA2C:?set LLAMA2C to a llama2.c clone (work tree or bare git dir)}"

if [ ! -f "$DATA/meta/params.json" ]; then
  CKPT_BENCH_LAYERS=16 CKPT_BENCH_KV=12 /usr/bin/python3 bench/make_torch_sources.py "$DATA"
fi
# export.py and model.py from llama2.c's HEAD; `transformers` is the fixtures' stand-in
# (it loads a LlamaForCausalLM folder as transformers does, in fp32).
git_dir=$LLAMA2C; [ -d "$LLAMA2C/.git" ] && git_dir=$LLAMA2C/.git
for f in export.py model.py; do git --git-dir="$git_dir" show HEAD:$f > "$TOOLS/$f"; done
/usr/bin/python3 -c "
import sys; sys.path.insert(0, 'fixtures/torch'); import make_torch_fixtures as m
open('$TOOLS/transformers.py', 'w').write(m.HF_SHIM)"

measure() {  # measure NAME CMD... -> prints "seconds peak_MB"
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$OUT/$name.time" "$@" > "$OUT/$name.log" 2>&1
  read -r secs kb < "$OUT/$name.time"
  echo "$secs $((kb / 1024))"
}

row() {  # row SOURCE-NAME SRC EXPORT-ARGS VERSION CKPT-LAYOUT
  local name=$1 src=$2 flag=$3 version=$4 layout=$5
  local ref=$OUT/$name.export.v$version.bin mine=$OUT/$name.ckpt.v$version.bin
  rm -f "$ref" "$mine"
  sync; cat "$src"/* > /dev/null  # both start from a warm page cache
  e=$(measure "$name.export.v$version" env PYTHONPATH="$TOOLS" /usr/bin/python3 "$TOOLS/export.py" "$ref" --version "$version" "$flag" "$src")
  local c; c=$(measure "$name.ckpt.v$version" "$CKPT" convert "$src" "$mine" --to "$layout")
  local size; size=$(stat -c %s "$mine")
  local t0 t1 t2
  t0=$(date +%s.%N); cat "$src"/* > /dev/null; t1=$(date +%s.%N)
  dd if=/dev/zero of="$OUT/dd.bin" bs=1M count=$(( (size + 1048575) / 1048576 )) conv=fsync status=none; t2=$(date +%s.%N)
  rm -f "$OUT/dd.bin"
  local same=differ; cmp -s "$ref" "$mine" && same=identical
  printf "| %s v%s | %s s, %s MB | %s s, %s MB | %.2f s + %.2f s | %s |\n" "$name" "$version" \
    ${e% *} ${e#* } ${c% *} ${c#* } "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$same"
}

echo "| source, version | export.py (time, peak RSS) | ckpt convert (time, peak RSS) | cat source + dd output | outputs |"
echo "|---|---|---|---|---|"
row meta "$DATA/meta" --meta-llama 1 ak42-v1-fp32
row meta "$DATA/meta" --meta-llama 0 llama2c-v0
row meta "$DATA/meta" --meta-llama 2 ak42-v2-q8_0
row hf "$DATA/hf" --hf 1 ak42-v1-fp32

# A 70B-shaped source: Hugging Face names and shapes of Llama-2-70B (dim 8192, hidden
# 28672, 64 heads, 8 kv heads, vocab 32000), 2 layers, bf16, data left as a hole.
big=$DATA/hf70b
if [ ! -f "$big/model.safetensors" ]; then
  mkdir -p "$big"
  /usr/bin/python3 - "$big" <<'PY'
import json, os, struct, sys
d, h, kv, v, L = 8192, 28672, 8 * 128, 32000, 2
names = {"model.embed_tokens.weight": [v, d], "model.norm.weight": [d], "lm_head.weight": [v, d]}
for i in range(L):
    p = f"model.layers.{i}."
    names.update({p + "self_attn.q_proj.weight": [d, d], p + "self_attn.k_proj.weight": [kv, d],
                  p + "self_attn.v_proj.weight": [kv, d], p + "self_attn.o_proj.weight": [d, d],
                  p + "mlp.gate_proj.weight": [h, d], p + "mlp.up_proj.weight": [h, d],
                  p + "mlp.down_proj.weight": [d, h], p + "input_layernorm.weight": [d],
                  p + "post_attention_layernorm.weight": [d]})
header, pos = {}, 0
for k in sorted(names):
    n = 2
    for s in names[k]: n *= s
    header[k] = {"dtype": "BF16", "shape": names[k], "data_offsets": [pos, pos + n]}
    pos += n
b = json.dumps(header, separators=(",", ":")).encode(); b += b" " * ((8 - len(b) % 8) % 8)
with open(os.path.join(sys.argv[1], "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(b))); f.write(b); f.truncate(8 + len(b) + pos)
json.dump({"architectures": ["LlamaForCausalLM"], "hidden_size": d, "intermediate_size": h,
           "num_attention_heads": 64, "num_hidden_layers": L, "num_key_value_heads": 8, "vocab_size": v,
           "max_position_embeddings": 4096, "tie_word_embeddings": False}, open(os.path.join(sys.argv[1], "config.json"), "w"))
PY
fi
rm -f "$OUT/70b.bin"
r=$(measure 70b "$CKPT" convert "$big" "$OUT/70b.bin" --to ak42-v1-fp32)
echo
echo "70B-shaped source (2 layers, $(stat -c %s "$OUT/70b.bin") bytes written): ${r% *} s, peak RSS ${r#* } MB"
rm -f "$OUT/70b.bin"
