// Tile and element codecs: plain loops over faces and face rows that the compiler
// vectorises; no per-element division.
#include "tile_codec.hpp"

#include <bit>
#include <cstring>

namespace ckpt::ttml {

namespace {

inline float from_bits(uint32_t b) { return std::bit_cast<float>(b); }

inline float bf16_value(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return from_bits(uint32_t(h) << 16);
}

template <class T>
void decode_as(const uint8_t* bytes, size_t n, float* out) {
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, bytes + i * sizeof(T), sizeof(T));
    out[i] = float(v);
  }
}

// One face row of 16 plain elements of `w` bytes.
template <class Decode>
void decode_faces(const uint8_t* tile, uint32_t w, float* out, size_t stride, Decode decode) {
  for (uint32_t f = 0; f < 4; ++f) {
    const uint32_t fr = f / 2, fc = f % 2;
    for (uint32_t r = 0; r < kFace; ++r)
      decode(tile + (f * kFace * kFace + r * kFace) * w, out + (fr * kFace + r) * stride + fc * kFace);
  }
}

}  // namespace

float bfp_value(uint8_t code, uint8_t exponent, int mantissa_bits) {
  const uint32_t mask = (1u << mantissa_bits) - 1, top = 1u << (mantissa_bits - 1);
  const uint32_t sign = (code >> mantissa_bits) & 1, m = code & mask;
  if (m == 0) return from_bits(sign << 31);
  const uint32_t shift = uint32_t(std::countl_zero(m)) - uint32_t(32 - mantissa_bits);  // until `top` is set
  if (shift > exponent) return 0.0f;  // below fp32's normal range: flushed, sign dropped
  const uint32_t frac = (m << shift) & (top - 1);
  return from_bits(sign << 31 | (uint32_t(exponent) - shift) << 23 | frac << (24 - mantissa_bits));
}

void decode_tile(TtDType d, const uint8_t* tile, float* out, size_t stride) {
  switch (d) {
    case TtDType::bfloat16:
      decode_faces(tile, 2, out, stride, [](const uint8_t* p, float* o) {
        for (uint32_t c = 0; c < kFace; ++c) o[c] = bf16_value(p + 2 * c);
      });
      return;
    case TtDType::float32:
      decode_faces(tile, 4, out, stride, [](const uint8_t* p, float* o) { std::memcpy(o, p, 4 * kFace); });
      return;
    case TtDType::uint32:
      decode_faces(tile, 4, out, stride, [](const uint8_t* p, float* o) { decode_as<uint32_t>(p, kFace, o); });
      return;
    case TtDType::int32:
      decode_faces(tile, 4, out, stride, [](const uint8_t* p, float* o) { decode_as<int32_t>(p, kFace, o); });
      return;
    case TtDType::uint16:
      decode_faces(tile, 2, out, stride, [](const uint8_t* p, float* o) { decode_as<uint16_t>(p, kFace, o); });
      return;
    case TtDType::uint8:
      decode_faces(tile, 1, out, stride, [](const uint8_t* p, float* o) { decode_as<uint8_t>(p, kFace, o); });
      return;
    case TtDType::bfloat8_b:
    case TtDType::bfloat4_b: {
      const bool eight = d == TtDType::bfloat8_b;
      const uint8_t* exps = tile;
      const uint8_t* codes = tile + 64;
      for (uint32_t f = 0; f < 4; ++f) {
        const uint32_t fr = f / 2, fc = f % 2;
        for (uint32_t r = 0; r < kFace; ++r) {
          const uint8_t e = exps[f * kFace + r];
          const uint32_t first = f * kFace * kFace + r * kFace;  // element index in the tile
          float* o = out + (fr * kFace + r) * stride + fc * kFace;
          if (eight) {
            for (uint32_t c = 0; c < kFace; ++c) o[c] = bfp_value(codes[first + c], e, 7);
          } else {
            for (uint32_t c = 0; c < kFace; c += 2) {
              const uint8_t b = codes[(first + c) / 2];
              o[c] = bfp_value(b & 0xF, e, 3);
              o[c + 1] = bfp_value(b >> 4, e, 3);
            }
          }
        }
      }
      return;
    }
  }
}

void decode_plain(TtDType d, const uint8_t* bytes, size_t n, float* out) {
  switch (d) {
    case TtDType::bfloat16:
      for (size_t i = 0; i < n; ++i) out[i] = bf16_value(bytes + 2 * i);
      return;
    case TtDType::float32:
      std::memcpy(out, bytes, n * 4);
      return;
    case TtDType::uint32:
      decode_as<uint32_t>(bytes, n, out);
      return;
    case TtDType::int32:
      decode_as<int32_t>(bytes, n, out);
      return;
    case TtDType::uint16:
      decode_as<uint16_t>(bytes, n, out);
      return;
    case TtDType::uint8:
      decode_as<uint8_t>(bytes, n, out);
      return;
    case TtDType::bfloat8_b:
    case TtDType::bfloat4_b:
      return;  // tiles only (the header check refuses them row-major)
  }
}

uint16_t to_bf16_bits(float v) {
  const uint32_t u = std::bit_cast<uint32_t>(v);
  if ((u & 0x7F800000u) == 0x7F800000u && (u & 0x007FFFFFu)) return uint16_t((u >> 16) | 0x0040u);  // quiet NaN
  return uint16_t((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

void encode_bf16_tile(const float* in, size_t stride, uint8_t* tile) {
  for (uint32_t f = 0; f < 4; ++f) {
    const uint32_t fr = f / 2, fc = f % 2;
    for (uint32_t r = 0; r < kFace; ++r) {
      const float* src = in + (fr * kFace + r) * stride + fc * kFace;
      uint8_t* dst = tile + 2 * (f * kFace * kFace + r * kFace);
      for (uint32_t c = 0; c < kFace; ++c) {
        const uint16_t h = to_bf16_bits(src[c]);
        std::memcpy(dst + 2 * c, &h, 2);
      }
    }
  }
}

}  // namespace ckpt::ttml
