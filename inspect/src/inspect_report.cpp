#include "ckpt/inspect_report.hpp"

#include <algorithm>

#include "ckpt/tensor_stream.hpp"
#include "ckpt/views.hpp"
#include "ckpt/weights.hpp"

namespace ckpt {

uint64_t alignment_of(uint64_t offset) {
  constexpr uint64_t kCap = 4096;
  if (offset == 0) return kCap;
  const uint64_t low = offset & (~offset + 1);
  return low > kCap ? kCap : low;
}

namespace {

// The first `limit` values of a stored tensor.
Result<TensorValues> stored_values(const Checkpoint& cp, const TensorInfo& t, uint64_t limit) {
  TensorValues v;
  v.tensor = t.spec.name;
  v.shape = t.spec.shape;
  auto res = stream_f32(
      cp, t,
      [&](uint64_t, const float* x, size_t n) {
        for (size_t i = 0; i < n && v.values.size() < limit; ++i) v.values.push_back(x[i]);
        return v.values.size() < limit;
      },
      size_t(std::min<uint64_t>(std::max<uint64_t>(limit, 256), kDefaultChunkElems)));
  if (!res) return res.error();
  return v;
}

// --tensor may name a canonical tensor that is only part of a stored one (wk and wv are
// halves of tt-train's kv_linear): stream it through the canonical views.
std::optional<Result<TensorValues>> view_values(const Checkpoint& cp, const std::string& name, uint64_t limit) {
  const auto views = canonical_views(cp);
  const CanonicalView* view = find_view(views, name);
  if (!view) return std::nullopt;
  TensorValues v;
  v.tensor = name;
  v.shape = view->shape;
  TensorSpec spec;
  spec.name = name;
  spec.numel = std::min(limit, view->numel);
  spec.shape = {spec.numel};
  auto res = CheckpointWeights(cp).values(spec, [&](uint64_t, const float* x, size_t n) {
    v.values.insert(v.values.end(), x, x + n);
    return true;
  });
  if (!res) return Result<TensorValues>(res.error());
  return Result<TensorValues>(std::move(v));
}

}  // namespace

Result<InspectReport> build_inspect_report(Checkpoint cp, const InspectOptions& opt) {
  InspectReport r;
  r.cp = std::move(cp);
  for (const auto& t : r.cp.tensors)
    if (!is_rope_table(t.spec.name)) r.parameters += t.spec.numel;
  if (opt.tensor) {
    if (const TensorInfo* t = r.cp.find(*opt.tensor)) {
      auto v = stored_values(r.cp, *t, opt.limit);
      if (!v) return v.error();
      r.values = std::move(*v);
    } else {
      auto view = view_values(r.cp, *opt.tensor, opt.limit);
      if (!view) return Error{ErrorCode::inspect_tensor, "no tensor named " + *opt.tensor, {}};
      if (!*view) return view->error();
      r.values = std::move(view->value());
    }
  }
  if (opt.stats) r.stats = all_tensor_stats(r.cp, opt.threads, opt.histograms);
  if (opt.at) r.at = opt.at_source ? locate_in_file(r.cp, *opt.at_source, *opt.at) : locate(r.cp, *opt.at);
  return r;
}

}  // namespace ckpt
