#pragma once
// The element codecs of ttnn host buffers: plain elements (bf16, f32, integers), 32x32
// tiles of four 16x16 faces (TL, TR, BL, BR, each row-major), and the block floats
// bfloat8_b / bfloat4_b (64 shared exponents, one per face row, then sign-magnitude
// codes). Decoding is bit-exact with tt-metal's unpack_bfp*_tiles_into_float_vec.
#include <cstddef>
#include <cstdint>

#include "tensorbin.hpp"

namespace ckpt::ttml {

// One block-float code (sign bit above `mantissa_bits` magnitude bits) with its face
// row's shared exponent, as tt-metal unpacks it: magnitude m != 0 is normalised (shifted
// left until its top bit is set, the shift taken off the exponent), values whose shift
// exceeds the exponent flush to +0; m == 0 keeps the sign (-0). The value is
// (-1)^s * m * 2^(e - 127 - (mantissa_bits - 1)); e = 255 gives Inf or NaN.
float bfp_value(uint8_t code, uint8_t exponent, int mantissa_bits);

// The 1024 values of one tile (padding included) as 32 rows of 32 at out + row * stride.
void decode_tile(TtDType d, const uint8_t* tile, float* out, size_t stride);

// n plain (row-major) elements of type d (not a block float).
void decode_plain(TtDType d, const uint8_t* bytes, size_t n, float* out);

// fp32 -> bfloat16 bits, rounding to nearest even (ttnn's bfloat16(float)); NaN stays NaN.
uint16_t to_bf16_bits(float v);

// One bfloat16 tile (2048 bytes) from 32 rows of 32 values at in + row * stride.
void encode_bf16_tile(const float* in, size_t stride, uint8_t* tile);

}  // namespace ckpt::ttml
