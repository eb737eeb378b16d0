// The canonical Llama tensors: names, shapes and their order.
#include "ckpt/canonical.hpp"

namespace ckpt {

namespace {

// Per-layer kinds in table order.
constexpr const char* kLayerKinds[] = {"attention_norm.weight",  "attention.wq.weight",    "attention.wk.weight",
                                       "attention.wv.weight",    "attention.wo.weight",    "ffn_norm.weight",
                                       "feed_forward.w1.weight", "feed_forward.w2.weight", "feed_forward.w3.weight"};

}  // namespace

std::vector<TensorSpec> canonical_llama_tensors(const ModelConfig& c) {
  const auto D = uint64_t(c.dim), H = uint64_t(c.hidden_dim), V = uint64_t(c.vocab_size);
  const auto q_rows = uint64_t(c.n_heads * c.head_size()), kv_rows = uint64_t(c.kv_dim());
  const std::vector<uint64_t> layer_shapes[] = {{D}, {q_rows, D}, {kv_rows, D}, {kv_rows, D}, {D, q_rows},
                                                {D}, {H, D},      {D, H},       {H, D}};
  std::vector<TensorSpec> out;
  auto add = [&](std::string name, std::vector<uint64_t> shape) {
    uint64_t n = 1;
    for (uint64_t s : shape) n *= s;
    out.push_back({std::move(name), DType::f32, std::move(shape), n});
  };
  add("tok_embeddings.weight", {V, D});
  for (int64_t l = 0; l < c.n_layers; ++l)
    for (size_t k = 0; k < 9; ++k) add("layers." + std::to_string(l) + "." + kLayerKinds[k], layer_shapes[k]);
  add("norm.weight", {D});
  if (!c.shared_classifier) add("output.weight", {V, D});
  return out;
}

std::pair<int64_t, std::string> canonical_rank(const std::string& name) {
  constexpr int64_t kAfterLayers = int64_t(1) << 40;
  if (name == "tok_embeddings.weight") return {0, ""};
  if (name.starts_with("layers.")) {
    const size_t dot = name.find('.', 7);
    if (dot != std::string::npos) {
      int64_t layer = 0;
      bool digits = dot > 7;
      for (size_t i = 7; i < dot && digits; ++i) {
        digits = name[i] >= '0' && name[i] <= '9';
        layer = layer * 10 + (name[i] - '0');
        if (layer > (int64_t(1) << 30)) digits = false;
      }
      const std::string kind = name.substr(dot + 1);
      for (int64_t k = 0; k < 9 && digits; ++k)
        if (kind == kLayerKinds[k]) return {1 + layer * 16 + k, ""};
    }
  }
  if (name == "norm.weight") return {kAfterLayers, ""};
  if (name == "output.weight") return {kAfterLayers + 1, ""};
  if (name == "freqs_cos") return {kAfterLayers + 2, ""};
  if (name == "freqs_sin") return {kAfterLayers + 3, ""};
  return {kAfterLayers * 2, name};
}

}  // namespace ckpt
