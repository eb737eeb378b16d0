// SLEEF's AVX2 kernels, the ones PyTorch's x86 build runs for pow, cos and sin (see
// rope.cpp). Alone in this file because it is compiled with -mavx2 -mfma (CMake sets it
// for this file only): the vector type crosses the call, and compilers refuse that
// across an ABI boundary otherwise. Called only after a CPU check.
#ifdef CKPT_HAVE_SLEEF
#include <immintrin.h>

#include <cstddef>

extern "C" {
__m256 Sleef_powf8_u10avx2(__m256, __m256);
__m256 Sleef_cosf8_u10avx2(__m256);
__m256 Sleef_sinf8_u10avx2(__m256);
}

namespace ckpt::core {

// op 0: 10000^x (the RoPE base), 1: cos, 2: sin, over 8 lanes.
void sleef8_avx2(int op, const float* x, float* y, float base) {
  const __m256 v = _mm256_loadu_ps(x);
  const __m256 r = op == 0   ? Sleef_powf8_u10avx2(_mm256_set1_ps(base), v)
                   : op == 1 ? Sleef_cosf8_u10avx2(v)
                             : Sleef_sinf8_u10avx2(v);
  _mm256_storeu_ps(y, r);
}

}  // namespace ckpt::core
#endif
