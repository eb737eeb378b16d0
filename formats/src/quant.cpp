#include "ckpt/quant.hpp"

#include <cmath>

namespace ckpt {

void quantize_q8_0(const float* w, size_t n_groups, size_t gs, int8_t* q, float* scales) {
  for (size_t g = 0; g < n_groups; ++g) {
    const float* x = w + g * gs;
    float wmax = 0.0f;
    for (size_t i = 0; i < gs; ++i) wmax = std::fmax(wmax, std::fabs(x[i]));
    const float scale = wmax / 127.0f;
    scales[g] = scale;
    int8_t* out = q + g * gs;
    if (scale == 0.0f) {
      for (size_t i = 0; i < gs; ++i) out[i] = 0;
      continue;
    }
    for (size_t i = 0; i < gs; ++i) {
      // nearbyintf rounds half to even in the default rounding mode, like torch.round.
      out[i] = int8_t(std::nearbyintf(x[i] / scale));
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
