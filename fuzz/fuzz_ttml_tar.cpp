// Tars of tt-train checkpoints from any bytes: the member index (lying checksums and
// sizes), the metadata member, the .tensorbin members it names; every tensor streamed,
// offsets located, and the archive validated.
#include <cstddef>
#include <cstdint>

#include "ckpt/checkpoint.hpp"
#include "ckpt/inspect_report.hpp"
#include "ckpt/locate.hpp"
#include "ckpt/tensor_stream.hpp"
#include "ckpt/validate.hpp"
#include "ttml/ttml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ckpt::MemorySource src(std::vector<uint8_t>(data, data + size), "<fuzz>");
  ckpt::OpenOptions opt;
  opt.forced_format = ckpt::ttml::ttml_tar;
  opt.limits.max_tar_members = 1024;
  opt.limits.max_metadata_pairs = 4096;
  opt.limits.max_tensorbin_shards = 256;
  auto cp = ckpt::open_checkpoint(src, opt);
  if (!cp) return 0;
  for (const auto& t : cp->tensors)
    (void)ckpt::stream_f32(
        *cp, t, [](uint64_t, const float*, size_t) { return true; }, 4096);
  for (uint64_t at : {uint64_t(0), uint64_t(size / 3), uint64_t(size / 2), uint64_t(size ? size - 1 : 0)})
    (void)ckpt::locate(*cp, at);
  ckpt::ValidateOptions vo;
  vo.forced_format = ckpt::ttml::ttml_tar;
  vo.threads = 1;
  (void)ckpt::validate_source(src, vo);
  return 0;
}
