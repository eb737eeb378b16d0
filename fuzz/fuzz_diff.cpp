// diff against a fixture: the fuzzed bytes are file B, a tiny valid v0 model is file A.
// Numeric comparison with diagnoses, and the byte diff mapping every range.
#include <cstddef>
#include <cstdint>

#include "ckpt/diff.hpp"
#include "reference_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ckpt::MemorySource a(ckpt::fuzz::reference_model(), "<a>");
  ckpt::MemorySource b(std::vector<uint8_t>(data, data + size), "<fuzz>");
  auto ca = ckpt::open_checkpoint(a);
  auto cb = ckpt::open_checkpoint(b);
  if (!ca || !cb) return 0;
  ckpt::DiffOptions opt;
  opt.threads = 1;
  opt.max_report = 4;
  (void)ckpt::diff_checkpoints(*ca, *cb, opt);
  (void)ckpt::diff_bytes(*ca, *cb, 4);
  return 0;
}
