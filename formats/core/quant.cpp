#include "ckpt/quant.hpp"

#include <cmath>

namespace ckpt {

void quantize_q8_0(const float* w, size_t n_groups, size_t gs, int8_t* q, float* scales) {
  for (size_t g = 0; g < n_groups; ++g) {
    const float* x = w + g * gs;
    // max|w| that propagates NaN like torch's abs().max() (std::fmax would skip it).
    float wmax = 0.0f;
    for (size_t i = 0; i < gs; ++i) {
      const float a = std::fabs(x[i]);
      wmax = (a > wmax || a != a) ? a : wmax;
    }
    const float scale = wmax / 127.0f;
    scales[g] = scale;
    int8_t* out = q + g * gs;
    if (scale == 0.0f) {
      for (size_t i = 0; i < gs; ++i) out[i] = 0;
      continue;
    }
    for (size_t i = 0; i < gs; ++i) {
      // nearbyintf rounds half to even in the default rounding mode, like torch.round.
      // A non-finite quotient (NaN or Inf in the group) has no int8 value: converting it
      // would be undefined behaviour; x86 PyTorch stores 0 there.
      const float r = std::nearbyintf(x[i] / scale);
      out[i] = std::fabs(r) <= 127.0f ? int8_t(r) : int8_t(0);
    }
  }
}

void dequantize_q8_0(const int8_t* q, const float* scales, size_t n_groups, size_t gs, float* out) {
  for (size_t g = 0; g < n_groups; ++g) {
    const float s = scales[g];
    for (size_t i = 0; i < gs; ++i) out[g * gs + i] = float(q[g * gs + i]) * s;
  }
}

}  // namespace ckpt
