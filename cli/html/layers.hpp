#pragma once
// Canonical names as a grid: "layers.3.attention.wq.weight" is layer 3, kind "wq". The
// diff heatmap has a row per layer and a column per kind; inspect plots a line per kind
// over the layers.
#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::cli::html {

struct LayerName {
  int64_t layer = -1;  // -1: not a layer tensor (tok_embeddings, norm, output, ...)
  std::string kind;    // "wq", "attention_norm", ...; for non-layer tensors the name without ".weight"
};
LayerName split_layer_name(const std::string& name);

// The kinds of these layer tensors in FORMATS.md's order (attention_norm, wq, wk, wv, wo,
// ffn_norm, w1, w2, w3), then any others in order of first appearance.
std::vector<std::string> kind_order(const std::vector<std::string>& names);

}  // namespace ckpt::cli::html
