// tt-train metadata flatbuffers (both schemas) from any bytes: the located check must
// agree with the flatbuffers Verifier (a disagreement aborts: the offsets of findings
// would lie), then the metadata is opened (no folder: every tensor file missing),
// inspected at an offset and validated.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ckpt/checkpoint.hpp"
#include "ckpt/inspect_report.hpp"
#include "ckpt/validate.hpp"
#include "ttml/fb_check.hpp"
#include "ttml/ttml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> buf(data, size);
  for (const auto* root : {&ckpt::ttml::fb::kTtmlData, &ckpt::ttml::fb::kTtmlDataPr32326})
    if (ckpt::ttml::fb::flatbuffers_verify(buf, *root) == bool(ckpt::ttml::fb::locate_problem(buf, *root)))
      std::abort();
  ckpt::MemorySource src(std::vector<uint8_t>(data, data + size), "<fuzz>");
  ckpt::OpenOptions opt;
  opt.forced_format = ckpt::ttml::ttml_flatbuffer;
  opt.limits.max_metadata_pairs = 4096;
  auto cp = ckpt::open_checkpoint(src, opt);
  if (!cp) return 0;
  ckpt::ValidateOptions vo;
  vo.forced_format = ckpt::ttml::ttml_flatbuffer;
  vo.threads = 1;
  (void)ckpt::validate_source(src, vo);
  ckpt::InspectOptions io;
  io.threads = 1;
  io.at = size / 2;
  (void)ckpt::build_inspect_report(std::move(*cp), io);
  return 0;
}
