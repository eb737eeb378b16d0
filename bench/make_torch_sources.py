#!/usr/bin/python3
"""Writes the sources of the PyTorch benchmarks with the real torch.save (Debian's
python3-torch): a llama2.c train.py checkpoint, a two-shard Meta folder in bf16 and a
Hugging Face folder (safetensors, bf16, sharded), all of the same random Llama of about
1.2 GB in fp32 (dim 1536, hidden 4096, 8 layers, 12 heads, 4 kv heads, vocab 32000).
CKPT_BENCH_LAYERS and CKPT_BENCH_KV change the layers and kv heads (export_bench.sh: 16
layers and 12 kv heads, 2.2 GB in fp32, multi-head so that export.py --hf runs).
Usage: make_torch_sources.py OUTDIR"""
import json
import os
import struct
import sys

import torch

out = sys.argv[1]
D, H, NH, V = 1536, 4096, 12, 32000
L = int(os.environ.get("CKPT_BENCH_LAYERS", 8))
KV = int(os.environ.get("CKPT_BENCH_KV", 4))
hs = D // NH
g = torch.Generator().manual_seed(0)


def rand(*shape):
    return torch.randn(*shape, generator=g) * 0.02


def model():
    sd = {"tok_embeddings.weight": rand(V, D)}
    for i in range(L):
        p = f"layers.{i}."
        sd[p + "attention.wq.weight"] = rand(D, D)
        sd[p + "attention.wk.weight"] = rand(KV * hs, D)
        sd[p + "attention.wv.weight"] = rand(KV * hs, D)
        sd[p + "attention.wo.weight"] = rand(D, D)
        sd[p + "feed_forward.w1.weight"] = rand(H, D)
        sd[p + "feed_forward.w2.weight"] = rand(D, H)
        sd[p + "feed_forward.w3.weight"] = rand(H, D)
        sd[p + "attention_norm.weight"] = torch.ones(D)
        sd[p + "ffn_norm.weight"] = torch.ones(D)
    sd["norm.weight"] = torch.ones(D)
    sd["output.weight"] = rand(V, D)
    return sd


sd = model()
os.makedirs(out, exist_ok=True)

# train.py: {"model", "optimizer", "model_args", "iter_num", "best_val_loss", "config"}
args = dict(dim=D, n_layers=L, n_heads=NH, n_kv_heads=KV, vocab_size=V, multiple_of=256, norm_eps=1e-5,
            max_seq_len=1024, dropout=0.0, hidden_dim=H)
torch.save({"model": sd, "optimizer": {"state": {}, "param_groups": []}, "model_args": args, "iter_num": 1000,
            "best_val_loss": torch.tensor(1.5), "config": {}}, os.path.join(out, "ckpt.pt"))

# Meta: two model-parallel shards in bf16.
meta = os.path.join(out, "meta")
os.makedirs(meta, exist_ok=True)
axis = lambda k: 1 if any(s in k for s in ("tok_embeddings", "attention.wo", "feed_forward.w2")) else 0
for s in range(2):
    shard = {}
    for k, v in sd.items():
        shard[k] = v.bfloat16() if v.dim() == 1 else torch.chunk(v, 2, dim=axis(k))[s].bfloat16().clone()
    torch.save(shard, os.path.join(meta, f"consolidated.0{s}.pth"))
json.dump({"dim": D, "multiple_of": 256, "n_heads": NH, "n_kv_heads": KV, "n_layers": L, "norm_eps": 1e-5,
           "vocab_size": -1}, open(os.path.join(meta, "params.json"), "w"))

# Hugging Face: q/k permuted into the rotary halves layout, bf16 safetensors, one file.
def permute(w, heads):
    return w.view(heads, w.shape[0] // heads // 2, 2, D).transpose(1, 2).reshape(w.shape[0], D)


names = {"tok_embeddings.weight": "model.embed_tokens.weight", "norm.weight": "model.norm.weight",
         "output.weight": "lm_head.weight"}
kinds = {"attention.wq": "self_attn.q_proj", "attention.wk": "self_attn.k_proj", "attention.wv": "self_attn.v_proj",
         "attention.wo": "self_attn.o_proj", "feed_forward.w1": "mlp.gate_proj", "feed_forward.w2": "mlp.down_proj",
         "feed_forward.w3": "mlp.up_proj", "attention_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm"}
hf = {}
for k, v in sd.items():
    if k in names:
        hf[names[k]] = v
        continue
    i, rest = k.split(".")[1], ".".join(k.split(".")[2:-1])
    if rest == "attention.wq":
        v = permute(v, NH)
    elif rest == "attention.wk":
        v = permute(v, KV)
    hf[f"model.layers.{i}.{kinds[rest]}.weight"] = v
hfdir = os.path.join(out, "hf")
os.makedirs(hfdir, exist_ok=True)
items = sorted(hf.items())
header, pos = {"__metadata__": {"format": "pt"}}, 0
for k, v in items:
    n = v.numel() * 2
    header[k] = {"dtype": "BF16", "shape": list(v.shape), "data_offsets": [pos, pos + n]}
    pos += n
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(os.path.join(hfdir, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)))
    f.write(h)
    for k, v in items:
        f.write(v.bfloat16().view(torch.int16).numpy().tobytes())
json.dump({"architectures": ["LlamaForCausalLM"], "hidden_size": D, "intermediate_size": H, "model_type": "llama",
           "num_attention_heads": NH, "num_hidden_layers": L, "num_key_value_heads": KV, "rms_norm_eps": 1e-5,
           "max_position_embeddings": 1024, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
           "vocab_size": V}, open(os.path.join(hfdir, "config.json"), "w"), indent=2)
