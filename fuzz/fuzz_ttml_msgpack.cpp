// The tt-train msgpack reader forced on any bytes: index, group into tensors, stream
// every tensor's values, locate offsets (key and element), and write it back.
#include <cstddef>
#include <cstdint>

#include "ckpt/checkpoint.hpp"
#include "ckpt/inspect_report.hpp"
#include "ttml/ttml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ckpt::MemorySource src(std::vector<uint8_t>(data, data + size), "<fuzz>");
  ckpt::OpenOptions opt;
  opt.forced_format = ckpt::ttml::msgpack_weights;
  auto cp = ckpt::open_checkpoint(src, opt);
  if (!cp) return 0;
  ckpt::InspectOptions io;
  io.stats = true;
  io.threads = 1;
  io.at = size / 2;
  if (!cp->tensors.empty()) io.tensor = cp->tensors[0].spec.name;
  (void)ckpt::build_inspect_report(std::move(*cp), io);
  return 0;
}
