// The RoPE tables export.py writes into v0 files, bit for bit. llama2.c's
// precompute_freqs_cis runs in PyTorch: theta ** (arange(0, hs, 2) / hs) is ATen's
// vectorised pow, 1.0 / x its reciprocal (an exact division), torch.outer one fp32
// multiply, cos and sin its vectorised kernels. On an x86 CPU with AVX2 (the capability
// PyTorch's CPU builds pick there) those kernels are SLEEF's Sleef_powf8_u10,
// Sleef_cosf8_u10 and Sleef_sinf8_u10 in their AVX2 variants; ckpt calls the same
// functions from Debian's libsleef, so its tables equal export.py's (checked against
// torch 1.13 for head sizes 8 to 256 and 512 positions, and against the committed
// export.py outputs). Without libsleef or AVX2, the correctly rounded value of the same
// fp32 angle is used: within 1 ulp of PyTorch's.
#include "ckpt/rope.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(CKPT_HAVE_SLEEF) && defined(__x86_64__)
#define CKPT_SLEEF_AVX2 1
namespace ckpt::core {
void sleef8_avx2(int op, const float* x, float* y, float base);  // rope_sleef.cpp
}
#endif

namespace ckpt {

namespace {

float portable_inv_freq(int64_t head_size, int64_t j) {
  const float exponent = float(2 * j) / float(head_size);
  return 1.0f / std::pow(kRopeTheta, exponent);
}

#ifdef CKPT_SLEEF_AVX2
bool sleef_usable() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

// n <= 8 lanes of f(x); lanes past n are zero in and ignored out.
void sleef8(int op, const float* x, float* y, size_t n) {
  float in[8] = {0, 0, 0, 0, 0, 0, 0, 0}, out[8];
  std::memcpy(in, x, n * sizeof(float));
  core::sleef8_avx2(op, in, out, kRopeTheta);
  std::memcpy(y, out, n * sizeof(float));
}

void sleef_map(int op, const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; i += 8) sleef8(op, x + i, y + i, std::min<size_t>(8, n - i));
}
#endif

std::vector<float> inv_freqs(int64_t head_size) {
  const int64_t half = head_size / 2;
  std::vector<float> f(size_t(half > 0 ? half : 0));
  for (int64_t j = 0; j < half; ++j) f[size_t(j)] = float(2 * j) / float(head_size);
#ifdef CKPT_SLEEF_AVX2
  if (sleef_usable()) {
    // ATen's binary loop runs blocks of 16 through the vector pow and the tail through
    // the scalar std::pow (glibc's powf).
    const size_t vec = f.size() / 16 * 16;
    sleef_map(0, f.data(), f.data(), vec);
    for (size_t j = vec; j < f.size(); ++j) f[j] = std::pow(kRopeTheta, f[j]);
    for (float& x : f) x = 1.0f / x;
    return f;
  }
#endif
  for (int64_t j = 0; j < half; ++j) f[size_t(j)] = portable_inv_freq(head_size, j);
  return f;
}

// One frequency without the whole vector (a hostile head size makes the vector huge):
// the same lane group (pow) or scalar tail as inv_freqs.
float inv_freq_at(int64_t head_size, int64_t j) {
#ifdef CKPT_SLEEF_AVX2
  if (sleef_usable()) {
    const int64_t half = head_size / 2, vec = half / 16 * 16;
    if (j < vec) {
      float e[8], r[8];
      const int64_t g = j / 8 * 8;
      for (int64_t l = 0; l < 8; ++l) e[l] = float(2 * (g + l)) / float(head_size);
      sleef8(0, e, r, 8);
      return 1.0f / r[j - g];
    }
    return 1.0f / std::pow(kRopeTheta, float(2 * j) / float(head_size));
  }
#endif
  return portable_inv_freq(head_size, j);
}

}  // namespace

bool rope_matches_pytorch() {
#ifdef CKPT_SLEEF_AVX2
  return sleef_usable();
#else
  return false;
#endif
}

float rope_value(int64_t head_size, int64_t pos, int64_t j, bool is_sin) {
  const int64_t half = head_size / 2;
  if (j < 0 || j >= half || pos < 0) return 0.0f;
  float c, sn;
  const int64_t flat = pos * half + j;
  // One element of the table computed in its lane group (see rope_tables).
  rope_range(head_size, flat, 1, -1, &c, &sn);
  return is_sin ? sn : c;
}

void rope_range(int64_t head_size, int64_t first, int64_t count, int64_t table_elems, float* cos_out, float* sin_out) {
  const int64_t half = head_size / 2;
  if (half <= 0 || count <= 0) return;
  // Whole rows: the frequency vector once; a few elements of a long row: each on its own.
  const bool whole = count >= half;
  const auto freqs = whole ? inv_freqs(head_size) : std::vector<float>{};
  auto angle = [&](int64_t k) {  // torch.outer, fp32
    const int64_t j = k % half;
    return float(k / half) * (whole ? freqs[size_t(j)] : inv_freq_at(head_size, j));
  };
#ifdef CKPT_SLEEF_AVX2
  if (sleef_usable()) {
    // ATen's cos/sin run the flat table through the 8-lane kernels from element 0, the
    // last group padded with zeros, and SLEEF picks its argument reduction per group
    // (every lane below 125, or not): compute each value inside its own group.
    float x[8], c[8], s[8];
    for (int64_t g = first / 8 * 8; g < first + count; g += 8) {
      for (int64_t l = 0; l < 8; ++l) {
        const int64_t k = g + l;
        x[l] = table_elems >= 0 && k >= table_elems ? 0.0f : angle(k);
      }
      sleef8(1, x, c, 8);
      sleef8(2, x, s, 8);
      for (int64_t l = 0; l < 8; ++l) {
        const int64_t k = g + l;
        if (k < first || k >= first + count) continue;
        cos_out[k - first] = c[l];
        sin_out[k - first] = s[l];
      }
    }
    return;
  }
#endif
  for (int64_t i = 0; i < count; ++i) {
    const double a = double(angle(first + i));
    cos_out[i] = float(std::cos(a));
    sin_out[i] = float(std::sin(a));
  }
}

void rope_tables(int64_t head_size, int64_t first_pos, int64_t n_pos, float* cos_out, float* sin_out,
                 int64_t table_pos) {
  const int64_t half = head_size / 2;
  rope_range(head_size, first_pos * half, n_pos * half, table_pos >= 0 ? table_pos * half : -1, cos_out, sin_out);
}

}  // namespace ckpt
