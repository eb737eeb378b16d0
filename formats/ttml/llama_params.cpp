#include "llama_params.hpp"

#include <map>

#include "ckpt/canonical.hpp"
#include "ttml.hpp"

namespace ckpt::ttml {

uint64_t LlamaParamPlan::numel() const {
  uint64_t n = zeros;
  for (const auto& s : segments) n += s.numel;
  return n;
}

std::vector<LlamaParamPlan> plan_llama_params(const ModelConfig& c) {
  std::map<std::string, TensorSpec> canonical;
  for (auto& t : canonical_llama_tensors(c)) canonical.emplace(t.name, t);
  std::vector<LlamaParamPlan> ps;
  auto add = [&](const LlamaParam& p, int64_t layer) {
    LlamaParamPlan out;
    out.name = with_layer(p.ttml, layer);
    uint64_t rows = 0, cols = 0;
    for (std::string_view pattern : p.canonical) {
      if (pattern.empty()) continue;
      auto it = canonical.find(with_layer(pattern, layer));
      if (it == canonical.end()) return;  // output.weight of a shared classifier
      const TensorSpec& t = it->second;
      rows += t.shape.size() == 2 ? t.shape[0] : 1;
      cols = t.shape.back();
      out.segments.push_back({t.name, t.numel});
    }
    const uint64_t padded = p.vocab ? uint64_t(padded_vocab(c.vocab_size)) : rows;
    out.zeros = (padded - rows) * cols;
    const bool vector = p.canonical[0].find("norm") != std::string_view::npos;
    out.dims = vector ? std::vector<uint32_t>{1, 1, 1, uint32_t(cols)}
                      : std::vector<uint32_t>{1, 1, uint32_t(padded), uint32_t(cols)};
    ps.push_back(std::move(out));
  };
  for (const auto& p : kLlamaParams) {
    if (p.ttml.find("{i}") == std::string_view::npos)
      add(p, -1);
    else
      for (int64_t l = 0; l < c.n_layers; ++l) add(p, l);
  }
  return ps;
}

}  // namespace ckpt::ttml
