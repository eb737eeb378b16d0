// Q8_0, scalar and AVX2. Both compute exactly what torch computes in fp32: max|w| (NaN
// propagating), one true division by the scale per value (never a multiplication by its
// reciprocal, which rounds differently), round half to even.
#include "ckpt/quant.hpp"

#include <cmath>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CKPT_X86 1
#endif

namespace ckpt {

namespace {

// max|w| that propagates NaN like torch's abs().max() (std::fmax would skip it).
float group_max(const float* x, size_t gs) {
  float wmax = 0.0f;
  for (size_t i = 0; i < gs; ++i) {
    const float a = std::fabs(x[i]);
    wmax = (a > wmax || a != a) ? a : wmax;
  }
  return wmax;
}

}  // namespace

float quantize_q8_0_scalar(const float* w, size_t n_groups, size_t gs, int8_t* q, float* scales) {
  float err = 0.0f;
  for (size_t g = 0; g < n_groups; ++g) {
    const float* x = w + g * gs;
    const float scale = group_max(x, gs) / 127.0f;
    scales[g] = scale;
    int8_t* out = q + g * gs;
    if (scale == 0.0f) {
      for (size_t i = 0; i < gs; ++i) {
        out[i] = 0;
        const float e = std::fabs(x[i]);
        err = e > err ? e : err;
      }
      continue;
    }
    for (size_t i = 0; i < gs; ++i) {
      // nearbyintf rounds half to even in the default rounding mode, like torch.round.
      // A non-finite quotient (NaN or Inf in the group) has no int8 value: converting it
      // would be undefined behaviour; x86 PyTorch stores 0 there.
      const float r = std::nearbyintf(x[i] / scale);
      out[i] = std::fabs(r) <= 127.0f ? int8_t(r) : int8_t(0);
      const float e = std::fabs(float(out[i]) * scale - x[i]);
      err = e > err ? e : err;  // NaN never wins
    }
  }
  return err;
}

#ifdef CKPT_X86

namespace {

// Eight lanes at a time; groups whose size is not a multiple of 8 take the scalar path.
__attribute__((target("avx2"))) float quantize_avx2(const float* w, size_t n_groups, size_t gs, int8_t* q,
                                                    float* scales) {
  const __m256 sign = _mm256_set1_ps(-0.0f), limit = _mm256_set1_ps(127.0f);
  __m256 err = _mm256_setzero_ps();
  for (size_t g = 0; g < n_groups; ++g) {
    const float* x = w + g * gs;
    __m256 m = _mm256_setzero_ps(), nan = _mm256_setzero_ps();
    for (size_t i = 0; i < gs; i += 8) {
      const __m256 v = _mm256_loadu_ps(x + i);
      m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v));
      nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, m);
    float wmax = 0.0f;
    for (float l : lanes) wmax = l > wmax ? l : wmax;
    if (!_mm256_testz_ps(nan, nan)) wmax = std::numeric_limits<float>::quiet_NaN();
    const float scale = wmax / 127.0f;
    scales[g] = scale;
    int8_t* out = q + g * gs;
    const __m256 s = _mm256_set1_ps(scale);
    const bool zero = scale == 0.0f;
    for (size_t i = 0; i < gs; i += 8) {
      const __m256 v = _mm256_loadu_ps(x + i);
      __m256 r = zero ? _mm256_setzero_ps()
                      : _mm256_round_ps(_mm256_div_ps(v, s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      // |r| <= 127 is false for NaN and Inf: those store 0.
      r = _mm256_and_ps(r, _mm256_cmp_ps(_mm256_andnot_ps(sign, r), limit, _CMP_LE_OQ));
      const __m256i i32 = _mm256_cvtps_epi32(r);
      const __m128i i16 = _mm_packs_epi32(_mm256_castsi256_si128(i32), _mm256_extracti128_si256(i32, 1));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), _mm_packs_epi16(i16, i16));
      // The error of the value read back; NaN lanes compare false and never win.
      const __m256 e = _mm256_andnot_ps(sign, _mm256_sub_ps(_mm256_mul_ps(r, s), v));
      err = _mm256_blendv_ps(err, e, _mm256_cmp_ps(e, err, _CMP_GT_OQ));
    }
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, err);
  float worst = 0.0f;
  for (float l : lanes) worst = l > worst ? l : worst;
  return worst;
}

}  // namespace

#endif

float quantize_q8_0(const float* w, size_t n_groups, size_t gs, int8_t* q, float* scales) {
#ifdef CKPT_X86
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2 && gs % 8 == 0) return quantize_avx2(w, n_groups, gs, q, scales);
#endif
  return quantize_q8_0_scalar(w, n_groups, gs, q, scales);
}

void dequantize_q8_0(const int8_t* q, const float* scales, size_t n_groups, size_t gs, float* out) {
  for (size_t g = 0; g < n_groups; ++g) {
    const float s = scales[g];
    for (size_t i = 0; i < gs; ++i) out[g * gs + i] = float(q[g * gs + i]) * s;
  }
}

}  // namespace ckpt
