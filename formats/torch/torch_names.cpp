// Mapping the tensor paths of PyTorch checkpoints to canonical names.
#include "torch_names.hpp"

#include "safetensors/hf_names.hpp"

namespace ckpt::torch {

namespace {

constexpr std::string_view kLayerKinds[] = {
    "attention_norm.weight",  "attention.wq.weight",    "attention.wk.weight",
    "attention.wv.weight",    "attention.wo.weight",    "ffn_norm.weight",
    "feed_forward.w1.weight", "feed_forward.w2.weight", "feed_forward.w3.weight"};

}  // namespace

bool is_canonical_llama_name(std::string_view n) {
  if (n == "tok_embeddings.weight" || n == "norm.weight" || n == "output.weight") return true;
  if (!n.starts_with("layers.")) return false;
  const size_t dot = n.find('.', 7);
  if (dot == std::string_view::npos || dot == 7 || dot - 7 > 9) return false;
  for (size_t i = 7; i < dot; ++i)
    if (n[i] < '0' || n[i] > '9') return false;
  const std::string_view kind = n.substr(dot + 1);
  for (auto k : kLayerKinds)
    if (kind == k) return true;
  return false;
}

std::optional<CanonicalName> canonical_name(std::string_view path) {
  // train.py saves {"model": state_dict, ...}; a compiled model's keys start "_orig_mod.".
  std::string_view n = path;
  if (n.starts_with("model/"))
    n.remove_prefix(6);
  else if (n.find('/') != std::string_view::npos)
    return std::nullopt;  // optimizer/..., config/...
  if (n.starts_with("_orig_mod.")) n.remove_prefix(10);
  if (is_canonical_llama_name(n)) return CanonicalName{std::string(n), false, false};
  if (auto hf = safetensors::canonical_of_hf(n))
    return CanonicalName{hf->name, true, hf->rotary != safetensors::Rotary::none};
  return std::nullopt;
}

}  // namespace ckpt::torch
