// Alignment rules: where each array starts relative to what consumers cast it to.
#include <string>

#include "ckpt/inspect_report.hpp"
#include "rules.hpp"

namespace ckpt::validation {

namespace {

struct Array {
  const char* part;  // "data" or "scales"
  uint64_t offset, nbytes;
  bool is_f32;
};

void check_array(const RuleContext& c, Collector& out, const TensorInfo& t, const Array& a) {
  if (a.nbytes == 0) return;
  const std::string what = t.spec.name + (std::string(a.part) == "scales" ? " scales" : "");
  // run.c / runq.c cast the mapped bytes to float*: fp32 must sit on a 4-byte boundary.
  if (a.is_f32 && a.offset % 4 != 0)
    out.tensor("align.f32",
               what + " (fp32) starts at byte " + std::to_string(a.offset) +
                   ", not a multiple of 4 (offset mod 4 = " + std::to_string(a.offset % 4) + ")",
               a.offset, t.spec.name);
  const uint64_t need = c.opt.require_alignment;
  if (need > 1 && alignment_of(a.offset) < need)
    out.tensor("align.required",
               what + " starts at byte " + std::to_string(a.offset) + ", aligned to " +
                   std::to_string(alignment_of(a.offset)) + " bytes; --require-alignment asks for " +
                   std::to_string(need),
               a.offset, t.spec.name);
}

}  // namespace

void check_alignment(const RuleContext& c, Collector& out) {
  // Only formats that consumers map and cast in place ("mapped"); msgpack arrays are decoded.
  if (!c.cp.format.has_tag("mapped")) return;
  for (const auto& t : c.cp.tensors) {
    if (t.status == TensorStatus::missing) continue;  // not in the file: size.truncated says so
    check_array(c, out, t, {"data", t.place.offset, t.place.nbytes, t.spec.dtype == DType::f32});
    if (t.spec.dtype == DType::q8_0)
      check_array(c, out, t, {"scales", t.place.scale_offset, t.place.scale_nbytes, true});
  }
}

}  // namespace ckpt::validation
