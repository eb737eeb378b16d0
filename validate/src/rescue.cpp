// When detection finds no format: is this an ak42 file whose magic alone is damaged?
// The rest of the header must then describe an ak42 layout of exactly the file's size,
// which random bytes or another format practically never do.
#include "ckpt/le.hpp"
#include "rules.hpp"

namespace ckpt::vdetail {

std::optional<Format> ak42_with_bad_magic(const ByteSource& src) {
  uint8_t h[256];
  if (src.size() < sizeof h || !src.read(0, h, sizeof h)) return std::nullopt;
  const int32_t version = load_i32(h + 4);
  ModelConfig c;
  c.dim = load_i32(h + 8);
  c.hidden_dim = load_i32(h + 12);
  c.n_layers = load_i32(h + 16);
  c.n_heads = load_i32(h + 20);
  c.n_kv_heads = load_i32(h + 24);
  c.vocab_size = load_i32(h + 28);
  c.seq_len = load_i32(h + 32);
  c.shared_classifier = h[36] != 0;
  const int64_t gs = load_i32(h + 37);
  std::vector<Format> candidates;
  if (version == 1) candidates = {Format::ak42_v1_fp32, Format::ak42_v1_q8_0};
  if (version == 2) candidates = {Format::ak42_v2_q8_0};
  for (Format f : candidates) {
    ModelConfig m = c;
    m.group_size = is_q8(f) ? gs : 0;
    auto layout = build_layout(f, m);
    if (layout && layout->total_size == src.size()) return f;
  }
  return std::nullopt;
}

}  // namespace ckpt::vdetail
