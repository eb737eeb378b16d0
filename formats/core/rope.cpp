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
#include <immintrin.h>
#define CKPT_SLEEF_AVX2 1
extern "C" {
__m256 Sleef_powf8_u10avx2(__m256, __m256);
__m256 Sleef_cosf8_u10avx2(__m256);
__m256 Sleef_sinf8_u10avx2(__m256);
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
__attribute__((target("avx2,fma"))) void sleef8(int op, const float* x, float* y, size_t n) {
  float in[8] = {0, 0, 0, 0, 0, 0, 0, 0}, out[8];
  std::memcpy(in, x, n * sizeof(float));
  const __m256 v = _mm256_loadu_ps(in);
  __m256 r;
  if (op == 0)
    r = Sleef_powf8_u10avx2(_mm256_set1_ps(kRopeTheta), v);
  else if (op == 1)
    r = Sleef_cosf8_u10avx2(v);
  else
    r = Sleef_sinf8_u10avx2(v);
  _mm256_storeu_ps(out, r);
  std::memcpy(y, out, n * sizeof(float));
}

void sleef_map(int op, const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; i += 8) sleef8(op, x + i, y + i, std::min<size_t>(8, n - i));
}
#endif

std::vector<float> inv_freqs(int64_t head_size) {
  const int64_t half = head_size / 2;
  std::vector<float> f(size_t(half > 0 ? half : 0));
#ifdef CKPT_SLEEF_AVX2
  if (sleef_usable()) {
    for (int64_t j = 0; j < half; ++j) f[size_t(j)] = float(2 * j) / float(head_size);
    sleef_map(0, f.data(), f.data(), f.size());
    for (float& x : f) x = 1.0f / x;
    return f;
  }
#endif
  for (int64_t j = 0; j < half; ++j) f[size_t(j)] = portable_inv_freq(head_size, j);
  return f;
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
  const auto f = inv_freqs(head_size);
  if (j < 0 || size_t(j) >= f.size()) return 0.0f;
  const float angle = float(pos) * f[size_t(j)];  // torch.outer in fp32
#ifdef CKPT_SLEEF_AVX2
  if (sleef_usable()) {
    float r;
    sleef8(is_sin ? 2 : 1, &angle, &r, 1);
    return r;
  }
#endif
  return float(is_sin ? std::sin(double(angle)) : std::cos(double(angle)));
}

void rope_tables(int64_t head_size, int64_t first_pos, int64_t n_pos, float* cos_out, float* sin_out) {
  const auto freqs = inv_freqs(head_size);
  const size_t half = freqs.size();
  for (int64_t p = 0; p < n_pos; ++p) {
    float* c = cos_out + size_t(p) * half;
    float* s = sin_out + size_t(p) * half;
    for (size_t j = 0; j < half; ++j) c[j] = float(first_pos + p) * freqs[j];
#ifdef CKPT_SLEEF_AVX2
    if (sleef_usable()) {
      sleef_map(2, c, s, half);
      sleef_map(1, c, c, half);
      continue;
    }
#endif
    for (size_t j = 0; j < half; ++j) {
      const double angle = double(c[j]);
      c[j] = float(std::cos(angle));
      s[j] = float(std::sin(angle));
    }
  }
}

}  // namespace ckpt
