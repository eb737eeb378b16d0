// The zip reader and the torch zip checkpoint on any bytes: directory, local headers,
// member sources (stored windows and inflating readers, read forward and backward), CRC
// verification, data.pkl and every other pickle member, storage linking, and element
// decoding of each tensor found.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "element_decode.hpp"
#include "torch_checkpoint.hpp"
#include "zip_member.hpp"
#include "zip_reader.hpp"

namespace {

void read_members(const ckpt::ByteSource& src, const ckpt::torch::ZipArchive& z) {
  for (const auto& e : z.entries) {
    (void)ckpt::torch::verify_member(src, e);
    auto m = ckpt::torch::open_member(src, e);
    if (!m) continue;
    uint8_t buf[64];
    uint64_t n = (*m)->size();
    if (n > 64) (void)(*m)->read(n - 64, buf, 64);
    (void)(*m)->read(0, buf, n < 64 ? size_t(n) : 64);
  }
}

void decode_tensors(const ckpt::ByteSource& src, const ckpt::torch::TorchZipCheckpoint& c) {
  for (const auto& t : c.model.tensors) {
    for (const auto& s : c.storages) {
      if (s.key != t.storage_key || !s.in_place || t.numel() > 4096) continue;
      ckpt::torch::StorageBytes sb{&src, s.data_offset, s.nbytes};
      (void)ckpt::torch::gather_f32(
          sb, t.dtype, t.shape, t.stride, t.storage_offset, [](const float*, size_t) { return true; }, 64);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ckpt::MemorySource src(std::vector<uint8_t>(data, data + size), "<fuzz>");
  auto z = ckpt::torch::read_zip(src);
  if (z) read_members(src, *z);
  ckpt::torch::TorchReadOptions options;
  options.walk.max_visits = 1u << 16;
  auto c = ckpt::torch::read_torch_zip(src, options);
  if (c) decode_tensors(src, *c);
  return 0;
}
