// The whole validator on arbitrary bytes: detection with its rescues (damaged magic,
// tolerant v2 order), every rule, and the data scan; the first byte picks the options
// (forced format or detection, scan, threads, required alignment).
#include <cstddef>
#include <cstdint>

#include "ckpt/validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  ckpt::ValidateOptions opt;
  const auto& formats = ckpt::all_formats();
  if (flags & 1) opt.forced_format = formats[(flags >> 4) % formats.size()];
  opt.scan = !(flags & 2);
  opt.threads = (flags & 4) ? 2 : 1;
  opt.require_alignment = (flags & 8) ? 64 : 0;
  ckpt::MemorySource src(std::vector<uint8_t>(data + 1, data + size), "<fuzz>");
  const ckpt::FileReport r = ckpt::validate_source(src, opt);
  // A report is never silent about a file it could not check.
  if (r.could_not_run && r.findings.empty()) __builtin_trap();
  return 0;
}
