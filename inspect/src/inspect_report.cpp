#include "ckpt/inspect_report.hpp"

#include <cstring>

#include "ckpt/le.hpp"
#include "ckpt/tensor_stream.hpp"
#include "ckpt/ttml.hpp"

namespace ckpt {

uint64_t alignment_of(uint64_t offset) {
  constexpr uint64_t kCap = 4096;
  if (offset == 0) return kCap;
  const uint64_t low = offset & (~offset + 1);
  return low > kCap ? kCap : low;
}

namespace {

std::optional<double> value_at(const ByteSource& src, const Location& loc) {
  if (loc.beyond_file || loc.region_length == 0) return std::nullopt;
  uint8_t b[4];
  if (loc.kind == RegionKind::tensor_data && loc.part == "int8") {
    if (!src.read(loc.region_start, b, 1)) return std::nullopt;
    return double(int8_t(b[0]));
  }
  if (loc.kind == RegionKind::tensor_data || loc.kind == RegionKind::tensor_scale) {
    if (!src.read(loc.region_start, b, 4)) return std::nullopt;
    return double(load_f32(b));
  }
  return std::nullopt;
}

// --tensor on a tt-train file may name a canonical tensor that is only part of a stored
// one (wk and wv are halves of kv_linear): stream it through the canonical views.
std::optional<Result<TensorValues>> ttml_view_values(const ByteSource& src, const Checkpoint& cp,
                                                     const std::string& name, uint64_t limit) {
  if (!cp.ttml) return std::nullopt;
  for (const auto& view : ttml_canonical_views(cp)) {
    if (view.name != name) continue;
    TensorValues v;
    v.tensor = name;
    v.shape = {view.rows, view.cols};
    TensorSpec spec;
    spec.name = name;
    spec.numel = std::min(limit, view.rows * view.cols);
    auto res = TtmlWeights(src, cp).values(spec, [&](uint64_t, const float* x, size_t n) {
      v.values.insert(v.values.end(), x, x + n);
      return true;
    });
    if (!res) return Result<TensorValues>(res.error());
    return Result<TensorValues>(std::move(v));
  }
  return std::nullopt;
}

}  // namespace

Result<InspectReport> build_inspect_report(const ByteSource& src, Checkpoint cp, const InspectOptions& opt) {
  InspectReport r;
  r.cp = std::move(cp);
  for (const auto& t : r.cp.tensors)
    if (!is_rope_table(t.spec.name)) r.parameters += t.spec.numel;
  if (opt.tensor && !r.cp.find(*opt.tensor) && r.cp.ttml) {
    auto view = ttml_view_values(src, r.cp, *opt.tensor, opt.limit);
    if (!view) return Error{"inspect.tensor", "no tensor named " + *opt.tensor, {}};
    if (!*view) return view->error();
    r.values = std::move(view->value());
  } else if (opt.tensor) {
    const TensorInfo* t = r.cp.find(*opt.tensor);
    if (!t) return Error{"inspect.tensor", "no tensor named " + *opt.tensor, {}};
    TensorValues v;
    v.tensor = t->spec.name;
    v.shape = t->spec.shape;
    const uint64_t limit = opt.limit;
    auto res = stream_f32(
        src, r.cp, *t,
        [&](uint64_t, const float* x, size_t n) {
          for (size_t i = 0; i < n && v.values.size() < limit; ++i) v.values.push_back(x[i]);
          return v.values.size() < limit;
        },
        size_t(std::min<uint64_t>(std::max<uint64_t>(limit, 256), kDefaultChunkElems)));
    if (!res) return res.error();
    r.values = std::move(v);
  }
  if (opt.stats) r.stats = all_tensor_stats(src, r.cp, opt.threads);
  if (opt.at && r.cp.format == Format::ttml_msgpack) {
    r.at = locate_ttml(src, r.cp, *opt.at, r.at_value);
  } else if (opt.at) {
    r.at = locate(r.cp, *opt.at);
    r.at_value = value_at(src, *r.at);
  }
  return r;
}

}  // namespace ckpt
