#pragma once
// The order-independent fingerprint of a tensor's values (Fingerprint, diff_report.hpp):
// count, sum and sum of squares of the fp32 bit patterns modulo 2^64. Computed by the
// comparison pass on the blocks that differ (bitwise-equal blocks add the same to both
// sides), so that "B holds A's values in another order" costs no extra pass.
#include <cstddef>
#include <cstdint>

#include "ckpt/diff_report.hpp"

namespace ckpt::diffing {

// Adds n values to f.
void add_fingerprint(const float* v, size_t n, Fingerprint& f);

inline void merge_fingerprint(Fingerprint& f, const Fingerprint& g) {
  f.count += g.count;
  f.sum += g.sum;
  f.sum_squares += g.sum_squares;
}

}  // namespace ckpt::diffing
