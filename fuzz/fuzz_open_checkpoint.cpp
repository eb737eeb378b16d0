// Detect + parse any bytes, then do everything inspect does with what was found:
// stream every tensor, compute stats, locate a few offsets.
#include <cstddef>
#include <cstdint>

#include "ckpt/checkpoint.hpp"
#include "ckpt/inspect_report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ckpt::MemorySource src(std::vector<uint8_t>(data, data + size), "<fuzz>");
  auto cp = ckpt::open_checkpoint(src);
  if (!cp) return 0;
  ckpt::InspectOptions opt;
  opt.stats = true;
  opt.threads = 1;
  opt.at = size / 2;
  auto r = ckpt::build_inspect_report(std::move(*cp), opt);
  if (r)
    for (uint64_t off : {uint64_t(0), uint64_t(37), uint64_t(size), uint64_t(size) + 1000})
      (void)ckpt::locate(r->cp, off);
  return 0;
}
