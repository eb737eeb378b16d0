#pragma once
// Q8_0 quantization bit-exact with llama2.c's export.py (quantize_q80): per group of gs
// values, scale = max|w| / 127 and q = round-half-to-even(w / scale), in fp32.
#include <cstddef>
#include <cstdint>

namespace ckpt {

// Quantizes n_groups consecutive groups of gs values from w into q (n_groups*gs bytes)
// and scales (n_groups floats). An all-zero group gets scale 0 and q 0 (the exporter's
// 0/0 bytes are unspecified; these are what PyTorch produces on x86). Returns the largest
// |w - q * scale| over the finite values (0 when there is none). Vectorised with AVX2
// where the CPU has it; the scalar path gives the same bytes.
float quantize_q8_0(const float* w, size_t n_groups, size_t gs, int8_t* q, float* scales);

// The portable path of quantize_q8_0 (tests compare the two).
float quantize_q8_0_scalar(const float* w, size_t n_groups, size_t gs, int8_t* q, float* scales);

// Dequantizes n_groups groups: out[i] = q[i] * scale[group], in fp32 as runq.c does.
void dequantize_q8_0(const int8_t* q, const float* scales, size_t n_groups, size_t gs, float* out);

}  // namespace ckpt
