// Whether a stored classifier equals the embedding, the test llama2.c's export.py makes
// (torch.equal on the fp32 model) to write a file as shared.
#include <vector>

#include "family.hpp"

namespace ckpt::core {

std::optional<bool> classifier_equals_embedding(const Checkpoint& cp) {
  const auto views = canonical_views(cp);
  const CanonicalView* emb = find_view(views, "tok_embeddings.weight");
  const CanonicalView* out = find_view(views, "output.weight");
  if (!emb || !out) return std::nullopt;
  if (emb->shape != out->shape) return false;
  // Both streamed in chunks of the same size: the embedding's chunk kept, the
  // classifier's compared against it. Memory: one chunk.
  constexpr uint64_t kChunk = uint64_t(1) << 20;
  std::vector<float> a;
  for (uint64_t first = 0; first < emb->numel; first += kChunk) {
    const uint64_t n = std::min(kChunk, emb->numel - first);
    a.assign(size_t(n), 0.0f);
    auto got = stream_view_f32(cp, *emb, first, n, [&](uint64_t at, const float* v, size_t k) {
      std::copy(v, v + k, a.begin() + ptrdiff_t(at - first));
      return true;
    });
    if (!got || *got != n) return std::nullopt;
    bool equal = true;
    auto got_b = stream_view_f32(cp, *out, first, n, [&](uint64_t at, const float* v, size_t k) {
      for (size_t i = 0; i < k && equal; ++i) equal = v[i] == a[size_t(at - first) + i];
      return equal;
    });
    if (!equal) return false;
    if (!got_b || *got_b != n) return std::nullopt;
  }
  return true;
}

}  // namespace ckpt::core
