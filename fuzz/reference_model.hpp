#pragma once
// The "file A" of the diff targets: a 2-layer GQA v0 model (dim 16) with deterministic
// weights, built once per process.
#include <cstdint>
#include <vector>

#include "ckpt/weights.hpp"
#include "llama2c/formats.hpp"
#include "llama2c/layout.hpp"
#include "llama2c/writer.hpp"

namespace ckpt::fuzz {

inline const std::vector<uint8_t>& reference_model() {
  static const std::vector<uint8_t> bytes = [] {
    ModelConfig c;
    c.dim = 16, c.hidden_dim = 24, c.n_layers = 2, c.n_heads = 2, c.n_kv_heads = 1, c.vocab_size = 8, c.seq_len = 4;
    MemoryWeights w;
    auto specs = llama2c::tensor_specs(llama2c::v0, c);
    for (const auto& s : *specs) {
      std::vector<float> v(s.numel);
      for (uint64_t i = 0; i < s.numel; ++i) v[i] = float((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
      w.tensors[s.name] = v;
    }
    MemorySink sink;
    (void)llama2c::write_llama2c(sink, llama2c::v0, c, w);
    return sink.bytes();
  }();
  return bytes;
}

}  // namespace ckpt::fuzz
