// The restricted unpickler on any bytes: the stack machine, the security analysis (with
// nested payloads), the torch interpretation and its tree walk, and the legacy format
// reader, which runs five pickles back to back over the same input.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "legacy_torch.hpp"
#include "pickle_reader.hpp"
#include "torch_pickle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ckpt::MemorySource src(std::vector<uint8_t>(data, data + size), "<fuzz>");
  ckpt::torch::PickleLimits limits;
  limits.max_nested_pickles = 3;
  auto r = ckpt::torch::unpickle(src, 0, size, limits);
  if (r) {
    ckpt::torch::TorchWalkLimits walk;
    walk.max_visits = 1u << 16;  // keeps an exponentially shared input fast
    auto m = ckpt::torch::interpret_torch_pickle(*r, walk);
    for (const auto& t : m.tensors) (void)t.numel();
  }
  ckpt::torch::TorchReadOptions options;
  options.walk.max_visits = 1u << 16;
  (void)ckpt::torch::read_legacy_torch(src, options);
  return 0;
}
