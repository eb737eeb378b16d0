// Parse, then write llama2.c layouts from whatever parsed: the writer must refuse
// or succeed, never crash, on inputs whose tensors are broken.
#include <cstddef>
#include <cstdint>

#include "ckpt/convert.hpp"
#include "llama2c/formats.hpp"
#include "llama2c/layout.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ckpt::MemorySource src(std::vector<uint8_t>(data, data + size), "<fuzz>");
  auto cp = ckpt::open_checkpoint(src);
  if (!cp || !ckpt::llama2c::is_checkpoint(cp->format)) return 0;
  for (ckpt::Format to : {ckpt::llama2c::v0, ckpt::llama2c::ak42_v2_q8_0}) {
    ckpt::ConvertOptions opt;
    opt.to = to;
    opt.allow_lossy = true;
    auto plan = ckpt::plan_conversion(*cp, opt);
    if (!plan) continue;
    // Keep memory bounded: only small outputs are materialised.
    auto layout = ckpt::llama2c::build_layout(to, plan->config);
    if (!layout || layout->total_size > (1u << 20)) continue;
    ckpt::MemorySink out;
    (void)ckpt::write_conversion(out, *cp, *plan);
  }
  return 0;
}
