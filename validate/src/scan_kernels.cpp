#include "ckpt/scan_kernels.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "ckpt/rope.hpp"

namespace ckpt {

namespace {
constexpr uint32_t kExp = 0x7f800000u, kMant = 0x007fffffu, kAbs = 0x7fffffffu;
}

// The counting loops are compiled twice on x86-64 (AVX2 and baseline SSE2) and the best
// is picked at load time: the default build targets any x86-64, and AVX2 doubles the
// width of these loops, which decides whether the scan keeps up with memory.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CKPT_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define CKPT_MULTIVERSION
#endif

namespace {

struct F32Counts {
  uint32_t bad = 0, nan = 0, bits_or = 0;
};

// Branch-free so that it vectorises; n <= 2^31 keeps the 32-bit counters exact.
CKPT_MULTIVERSION F32Counts count_f32(const float* v, size_t n) {
  uint32_t bad = 0, nan = 0, bits_or = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t u = std::bit_cast<uint32_t>(v[i]);
    const uint32_t nonfinite = (u & kExp) == kExp;
    bad += nonfinite;
    nan += nonfinite & uint32_t((u & kMant) != 0);
    bits_or |= u & kAbs;
  }
  return {bad, nan, bits_or};
}

// -128 is rare: a byte-wide OR says whether there is any (one compare per 32 bytes with
// AVX2), and only then are they counted.
CKPT_MULTIVERSION uint32_t count_minus128(const int8_t* q, size_t n) {
  uint8_t any = 0;
  for (size_t i = 0; i < n; ++i) any |= uint8_t(q[i] == -128);
  if (!any) return 0;
  uint32_t c = 0;
  for (size_t i = 0; i < n; ++i) c += q[i] == -128;
  return c;
}

// Blocks small enough for 32-bit counters, large enough to amortise the calls.
constexpr size_t kBlock = size_t(1) << 20;

}  // namespace

F32Check check_f32(const float* v, size_t n) {
  F32Check r;
  uint32_t bits_or = 0;
  for (size_t b = 0; b < n; b += kBlock) {
    const F32Counts c = count_f32(v + b, std::min(kBlock, n - b));
    r.nonfinite += c.bad;
    r.nan += c.nan;
    bits_or |= c.bits_or;
  }
  r.all_zero = bits_or == 0;
  if (r.nonfinite > 0)
    for (size_t i = 0; i < n; ++i)
      if ((std::bit_cast<uint32_t>(v[i]) & kExp) == kExp) {
        r.first_nonfinite = i;
        break;
      }
  return r;
}

CKPT_MULTIVERSION Q8Check check_q8(const int8_t* q, const float* scales, size_t n_groups, size_t gs) {
  Q8Check r;
  uint64_t minus128 = 0;
  const size_t n = n_groups * gs;
  for (size_t b = 0; b < n; b += kBlock) minus128 += count_minus128(q + b, std::min(kBlock, n - b));
  r.int8_min = minus128;
  if (minus128 > 0)
    for (size_t i = 0; i < n; ++i)
      if (q[i] == -128) {
        r.first_int8_min = i;
        break;
      }
  for (size_t g = 0; g < n_groups; ++g) {
    const int8_t* x = q + g * gs;
    uint8_t any = 0;  // byte-wide so that the OR vectorises without widening
    for (size_t i = 0; i < gs; ++i) any |= uint8_t(x[i]);
    const float s = scales[g];
    if (!std::isfinite(s)) {
      if (r.scale_nonfinite++ == 0) r.first_scale_nonfinite = g;
      r.all_zero = false;
      continue;
    }
    // -0.0 is zero, not negative: only a strictly negative value is.
    if (s < 0.0f || (s == 0.0f && any != 0)) {
      if (r.scale_bad++ == 0) r.first_scale_bad = g;
    }
    if (s != 0.0f && any != 0) r.all_zero = false;
  }
  return r;
}

double rope_tolerance(int64_t head_size, uint64_t pos, uint64_t j) {
  const double freq = std::pow(double(kRopeTheta), -double(2 * j) / double(head_size));
  // fp32 epsilon is 2^-23: two ulp of the angle, plus the absolute 1e-5.
  return 1e-5 + std::ldexp(2.0 * double(pos) * freq, -23);
}

RopeCheck check_rope(const float* v, size_t n, uint64_t first, int64_t head_size, bool is_sin) {
  RopeCheck r;
  const int64_t half = head_size / 2;
  if (half <= 0 || n == 0) return r;
  // Expected values for the rows this chunk touches, computed the writer's way: whole
  // rows at once, unless rows are so long (a hostile head size) that the chunk covers a
  // small part of them; then element by element, so memory stays bounded by the chunk.
  const uint64_t p0 = first / uint64_t(half), p1 = (first + n - 1) / uint64_t(half);
  const uint64_t rows = p1 - p0 + 1;
  const bool by_rows = rows * uint64_t(half) <= 2 * uint64_t(n) + 1024;
  std::vector<float> cosv, sinv;
  if (by_rows) {
    cosv.resize(size_t(rows * uint64_t(half)));
    sinv.resize(cosv.size());
    rope_tables(head_size, int64_t(p0), int64_t(rows), cosv.data(), sinv.data());
  }
  const std::vector<float>& want = is_sin ? sinv : cosv;
  const uint64_t base = p0 * uint64_t(half);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t e = first + i;
    const float expected =
        by_rows ? want[size_t(e - base)]
                : rope_value(head_size, int64_t(e / uint64_t(half)), int64_t(e % uint64_t(half)), is_sin);
    double err = std::fabs(double(v[i]) - double(expected));
    if (std::isnan(err)) err = INFINITY;
    r.all_zero &= v[i] == 0.0f;
    if (!(err <= rope_tolerance(head_size, e / uint64_t(half), e % uint64_t(half)))) {  // NaN fails too
      if (r.mismatches++ == 0) r.first_mismatch = i;
      r.max_error = std::max(r.max_error, err);
    }
  }
  return r;
}

Bf16Check check_bf16(const float* v, size_t n) {
  Bf16Check r;
  for (size_t i = 0; i < n; ++i) {
    if ((std::bit_cast<uint32_t>(v[i]) & 0xffffu) != 0 && r.not_representable++ == 0) r.first = i;
  }
  return r;
}

}  // namespace ckpt
