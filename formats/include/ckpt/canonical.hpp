#pragma once
// FORMATS.md's canonical tensors of a Llama model (the names of llama2.c's model.py and
// Meta's checkpoints): the one place their names, shapes and order are written. Every
// family names its tensors with these, so files of different formats compare.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ckpt/config.hpp"
#include "ckpt/tensor.hpp"

namespace ckpt {

// The canonical tensors of a config (fp32), in FORMATS.md's table order: tok_embeddings,
// then layer by layer attention_norm, wq, wk, wv, wo, ffn_norm, w1, w2, w3, then norm and,
// when the classifier is not shared, output. The RoPE tables are not weights and are not
// included. Shapes use run.c's integer head size.
std::vector<TensorSpec> canonical_llama_tensors(const ModelConfig& c);

// The sort key of a canonical name in that order (layers in numeric order); unknown names
// sort after every canonical one, by name.
std::pair<int64_t, std::string> canonical_rank(const std::string& name);

// Vocabulary tensors: the ones with a row per token (tt-train pads them to a multiple of 32).
inline bool is_vocab_tensor(const std::string& name) {
  return name == "tok_embeddings.weight" || name == "output.weight";
}

}  // namespace ckpt
