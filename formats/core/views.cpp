// Canonical views through the family, and the model's basic queries.
#include "ckpt/views.hpp"

#include "family.hpp"

namespace ckpt {

uint64_t CanonicalView::cols() const {
  if (shape.size() < 2) return numel;
  uint64_t c = 1;
  for (size_t i = 1; i < shape.size(); ++i) c *= shape[i];
  return c;
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
    if (v.tensor != tensor || !v.canonical) continue;
    joined += (joined.empty() ? "" : "+") + v.name;
  }
  return joined == own ? std::string() : joined;
}

}  // namespace ckpt
