#pragma once
// The data rules' inner loops, one chunk at a time. Each is a branch-free counting pass
// (vectorised by the compiler) followed, only when something was found, by a scalar pass
// for the first culprit: clean data, the common case, runs at memory bandwidth.
#include <cstddef>
#include <cstdint>
#include <optional>

namespace ckpt {

struct F32Check {
  uint64_t nonfinite = 0, nan = 0;
  std::optional<uint64_t> first_nonfinite;  // index within the chunk
  bool all_zero = true;                     // every value is +0 or -0
};
F32Check check_f32(const float* v, size_t n);

struct Q8Check {
  uint64_t scale_nonfinite = 0;
  std::optional<uint64_t> first_scale_nonfinite;  // group index within the chunk
  // Negative scale, or zero scale over int8 values that are not all zero.
  uint64_t scale_bad = 0;
  std::optional<uint64_t> first_scale_bad;  // group index
  uint64_t int8_min = 0;
  std::optional<uint64_t> first_int8_min;  // element index within the chunk
  bool all_zero = true;                    // every dequantized value is zero
};
Q8Check check_q8(const int8_t* q, const float* scales, size_t n_groups, size_t gs);

struct RopeCheck {
  uint64_t mismatches = 0;
  std::optional<uint64_t> first_mismatch;  // index within the chunk
  double max_error = 0;                    // largest |stored - formula| (NaN counts as a mismatch)
  bool all_zero = true;
};
// Compares values [first, first+n) of a v0 RoPE table (freqs_cos or freqs_sin, shape
// (seq_len, head_size/2), flat) with the formula. Tolerance: 1e-5 plus what rounding the
// angle to fp32 can explain (2 ulp of p * freq), so a writer computing in double passes.
RopeCheck check_rope(const float* v, size_t n, uint64_t first, int64_t head_size, bool is_sin);
// The tolerance check_rope allows at this table position.
double rope_tolerance(int64_t head_size, uint64_t pos, uint64_t j);

struct Bf16Check {
  uint64_t not_representable = 0;
  std::optional<uint64_t> first;  // index within the chunk
};
// bfloat16 widened to fp32 has its low 16 bits zero; anything else is not a bfloat16.
Bf16Check check_bf16(const float* v, size_t n);

}  // namespace ckpt
