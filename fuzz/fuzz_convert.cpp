// Parse, then write every llama2.c layout from whatever parsed: the writer must refuse
// or succeed, never crash, on inputs whose tensors are broken.
#include <cstddef>
#include <cstdint>

#include "ckpt/convert.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ckpt::MemorySource src(std::vector<uint8_t>(data, data + size), "<fuzz>");
  auto cp = ckpt::open_checkpoint(src);
  if (!cp || !ckpt::is_llama2c_checkpoint(cp->format)) return 0;
  for (ckpt::Format to : {ckpt::Format::llama2c_v0, ckpt::Format::ak42_v2_q8_0}) {
    ckpt::ConvertOptions opt;
    opt.to = to;
    opt.allow_lossy = true;
    auto plan = ckpt::plan_conversion(*cp, opt);
    if (!plan) continue;
    // Keep memory bounded: only small outputs are materialised.
    auto layout = ckpt::build_layout(to, plan->config);
    if (!layout || layout->total_size > (1u << 20)) continue;
    ckpt::MemorySink out;
    (void)ckpt::write_llama2c(out, to, plan->config, ckpt::CheckpointWeights(src, *cp));
  }
  return 0;
}
