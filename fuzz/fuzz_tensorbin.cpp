// ttnn .tensorbin files from any bytes: the header's located check agrees with the
// flatbuffers Verifier, then the file is opened, every tensor streamed with the scan's
// padding and exponent checks, element offsets and --at computed, and validated.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "ckpt/checkpoint.hpp"
#include "ckpt/inspect_report.hpp"
#include "ckpt/locate.hpp"
#include "ckpt/tensor_stream.hpp"
#include "ckpt/validate.hpp"
#include "ttml/fb_check.hpp"
#include "ttml/ttml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size >= 8) {
    uint64_t n;
    std::memcpy(&n, data, 8);
    if (n <= size - 8) {
      const std::span<const uint8_t> header(data + 8, size_t(n));
      for (const auto* root : {&ckpt::ttml::fb::kTensor, &ckpt::ttml::fb::kTensor2025_06})
        if (ckpt::ttml::fb::flatbuffers_verify(header, *root) == bool(ckpt::ttml::fb::locate_problem(header, *root)))
          std::abort();
    }
  }
  ckpt::MemorySource src(std::vector<uint8_t>(data, data + size), "<fuzz>");
  ckpt::OpenOptions opt;
  opt.forced_format = ckpt::ttml::ttnn_tensorbin;
  opt.limits.max_tensorbin_shards = 256;
  auto cp = ckpt::open_checkpoint(src, opt);
  if (!cp) return 0;
  for (const auto& t : cp->tensors) {
    std::vector<ckpt::Finding> found;
    uint64_t seen = 0;
    (void)ckpt::scan_f32(
        *cp, t,
        [&](uint64_t first, const float*, size_t n) {
          if (first != seen) std::abort();  // chunks in order, no gap
          seen += n;
          return true;
        },
        found, 333);
    for (uint64_t e : {uint64_t(0), t.spec.numel / 2, t.spec.numel ? t.spec.numel - 1 : 0}) {
      auto at = ckpt::element_offset(*cp, t, e);
      if (at && *at >= size && t.status == ckpt::TensorStatus::complete) std::abort();  // elements lie inside
    }
  }
  for (uint64_t at : {uint64_t(0), uint64_t(size / 3), uint64_t(size / 2), uint64_t(size ? size - 1 : 0)})
    (void)ckpt::locate(*cp, at);
  ckpt::ValidateOptions vo;
  vo.forced_format = ckpt::ttml::ttnn_tensorbin;
  vo.threads = 1;
  (void)ckpt::validate_source(src, vo);
  ckpt::InspectOptions io;
  io.stats = true;
  io.threads = 1;
  (void)ckpt::build_inspect_report(std::move(*cp), io);
  return 0;
}
