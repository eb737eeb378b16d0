// diff against a fixture: the fuzzed bytes are file B, a tiny valid v0 model is file A.
// Numeric comparison with diagnoses, and the byte diff mapping every range.
#include <cstddef>
#include <cstdint>

#include "ckpt/diff.hpp"
#include "ckpt/writer.hpp"

namespace {

// File A: a 2-layer GQA model (dim 16) with deterministic weights, built once.
const std::vector<uint8_t>& reference() {
  static const std::vector<uint8_t> bytes = [] {
    ckpt::ModelConfig c;
    c.dim = 16, c.hidden_dim = 24, c.n_layers = 2, c.n_heads = 2, c.n_kv_heads = 1, c.vocab_size = 8, c.seq_len = 4;
    ckpt::MemoryWeights w;
    auto specs = ckpt::tensor_specs(ckpt::Format::llama2c_v0, c);
    for (const auto& s : *specs) {
      std::vector<float> v(s.numel);
      for (uint64_t i = 0; i < s.numel; ++i) v[i] = float((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
      w.tensors[s.name] = v;
    }
    ckpt::MemorySink sink;
    (void)ckpt::write_llama2c(sink, ckpt::Format::llama2c_v0, c, w);
    return sink.bytes();
  }();
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ckpt::MemorySource a(reference(), "<a>");
  ckpt::MemorySource b(std::vector<uint8_t>(data, data + size), "<fuzz>");
  auto ca = ckpt::open_checkpoint(a);
  auto cb = ckpt::open_checkpoint(b);
  if (!ca || !cb) return 0;
  ckpt::DiffOptions opt;
  opt.threads = 1;
  opt.max_report = 4;
  (void)ckpt::diff_checkpoints(a, *ca, b, *cb, opt);
  (void)ckpt::diff_bytes(a, *ca, b, *cb, 4);
  return 0;
}
