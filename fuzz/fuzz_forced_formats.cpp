// Every llama2.c layout and the tokenizer forced on arbitrary bytes: the parsers must
// cope with any header values, not only with those detection lets through.
#include <cstddef>
#include <cstdint>

#include "ckpt/checkpoint.hpp"
#include "ckpt/stats.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto& formats = ckpt::all_formats();
  ckpt::OpenOptions opt;
  opt.forced_format = formats[data[0] % formats.size()];
  ckpt::MemorySource src(std::vector<uint8_t>(data + 1, data + size), "<fuzz>");
  auto cp = ckpt::open_checkpoint(src, opt);
  if (!cp) return 0;
  for (const auto& t : cp->tensors) (void)ckpt::tensor_stats(*cp, t);
  return 0;
}
