#include "fingerprint.hpp"

#include <cstring>

namespace ckpt::diffing {

void add_fingerprint(const float* v, size_t n, Fingerprint& f) {
  // Unsigned arithmetic wraps: the sums are exact modulo 2^64. The 32 x 32 -> 64-bit
  // products vectorise (pmuludq), so this costs a fraction of the comparison itself.
  uint64_t sum = 0, squares = 0;
#pragma omp simd reduction(+ : sum, squares)
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, v + i, 4);
    sum += bits;
    squares += uint64_t(bits) * uint64_t(bits);
  }
  f.count += n;
  f.sum += sum;
  f.sum_squares += squares;
}

}  // namespace ckpt::diffing
