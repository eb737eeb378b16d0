// The safetensors header reader on any bytes: length, UTF-8, JSON, entries, validation.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "safetensors_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ckpt::MemorySource src(std::vector<uint8_t>(data, data + size), "<fuzz>");
  auto h = ckpt::safetensors::read_safetensors_header(src);
  if (h) {
    uint64_t total = 0;
    for (const auto& t : h->tensors) total += t.shape.size() + t.name.size();
    (void)total;
  }
  return 0;
}
