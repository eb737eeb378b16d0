// Canonical views through the family, and the model's basic queries.
#include "ckpt/views.hpp"

#include <algorithm>

#include "ckpt/view_reader.hpp"
#include "family.hpp"

namespace ckpt {

uint64_t CanonicalView::cols() const {
  if (shape.size() < 2) return numel;
  uint64_t c = 1;
  for (size_t i = 1; i < shape.size(); ++i) c *= shape[i];
  return c;
}

bool CanonicalView::reads(size_t i) const {
  return tensor == i || std::find(shards.begin(), shards.end(), i) != shards.end();
}

Result<uint64_t> stream_view_f32(const Checkpoint& cp, const CanonicalView& v, uint64_t first, uint64_t count,
                                 const std::function<bool(uint64_t, const float*, size_t)>& sink, size_t chunk_elems) {
  ViewReader r(cp, v);
  const uint64_t end = std::min<uint64_t>(r.available(), first + std::min(count, v.numel));
  if (first >= end) return uint64_t(0);
  chunk_elems = size_t(std::min<uint64_t>(std::max<size_t>(chunk_elems, 1), end - first));
  std::vector<float> buf(chunk_elems);
  for (uint64_t i = first; i < end; i += chunk_elems) {
    const size_t n = size_t(std::min<uint64_t>(chunk_elems, end - i));
    auto ok = r.read(i, n, buf.data(), nullptr);
    if (!ok) return ok.error();
    if (!sink(i, buf.data(), n)) return i + n - first;
  }
  return end - first;
}

std::vector<CanonicalView> canonical_views(const Checkpoint& cp) {
  const core::FormatFamily* fam = core::family_of(cp.format);
  if (!fam) {
    std::vector<CanonicalView> out;
    for (size_t i = 0; i < cp.tensors.size(); ++i) out.push_back(core::whole_view(cp, i, cp.tensors[i].spec.name, {}));
    return out;
  }
  return fam->views(cp);
}

const CanonicalView* find_view(const std::vector<CanonicalView>& views, std::string_view name) {
  for (const auto& v : views)
    if (v.name == name) return &v;
  return nullptr;
}

std::string canonical_names_of(const std::vector<CanonicalView>& views, size_t tensor, const std::string& own) {
  std::string joined;
  for (const auto& v : views) {
    if (!v.reads(tensor) || !v.canonical) continue;
    joined += (joined.empty() ? "" : "+") + v.name;
  }
  return joined == own ? std::string() : joined;
}

}  // namespace ckpt
