// Values of tt-train flatbuffer checkpoints: each tensor streamed from its .tensorbin
// (wherever the container keeps it), and the scan's findings about bytes that never
// become values.
#include <fmt/format.h>

#include "fb_internal.hpp"

namespace ckpt::ttml {

Result<uint64_t> stream_fb(const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink, size_t chunk_elems,
                           std::vector<Finding>* scan_findings) {
  const FbInfo* info = fb_info_of(cp);
  const FbTensor* x = info ? info->tensor_of(cp, t) : nullptr;
  if (!x) return Error{ErrorCode::stream_dtype, t.spec.name + ": not a tensor of this checkpoint", {}};
  if (t.status != TensorStatus::complete) return uint64_t(0);  // encoded: all or nothing
  ScanFinds finds;
  auto r =
      stream_tensorbin(cp.source(x->source), x->header, x->grid, sink, chunk_elems, scan_findings ? &finds : nullptr);
  if (scan_findings && finds.nonzero_padding > 0)
    scan_findings->push_back({"tensorbin.tile_padding", Severity::warning,
                              fmt::format("{}: {} value{} in the tile padding {} not zero, the first at byte {} of {}",
                                          t.spec.name, finds.nonzero_padding, finds.nonzero_padding == 1 ? "" : "s",
                                          finds.nonzero_padding == 1 ? "is" : "are", *finds.first_padding, x->file),
                              finds.first_padding, t.spec.name});
  if (scan_findings && finds.bad_exponents > 0)
    scan_findings->push_back(
        {"tensorbin.bfp_exponent", Severity::error,
         fmt::format("{}: {} shared exponent{} of 255 (fp32's Inf/NaN exponent), the first at byte {} of {}",
                     t.spec.name, finds.bad_exponents, finds.bad_exponents == 1 ? "" : "s", *finds.first_exponent,
                     x->file),
         finds.first_exponent, t.spec.name});
  return r;
}

std::optional<uint64_t> fb_element_offset(const Checkpoint& cp, const TensorInfo& t, uint64_t element) {
  const FbInfo* info = fb_info_of(cp);
  const FbTensor* x = info ? info->tensor_of(cp, t) : nullptr;
  if (!x || !x->present || !x->header.geometry) return std::nullopt;
  return tensorbin_element_byte(x->header, x->grid, element);
}

}  // namespace ckpt::ttml
