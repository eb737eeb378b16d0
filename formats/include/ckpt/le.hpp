#pragma once
// Little-endian loads and stores from byte buffers (all formats are little-endian).
#include <cstdint>
#include <cstring>

namespace ckpt {

inline uint32_t load_u32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline int32_t load_i32(const uint8_t* p) { return int32_t(load_u32(p)); }
inline float load_f32(const uint8_t* p) {
  uint32_t u = load_u32(p);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline void store_u32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
  p[2] = uint8_t(v >> 16);
  p[3] = uint8_t(v >> 24);
}
inline void store_f32(uint8_t* p, float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  store_u32(p, u);
}

}  // namespace ckpt
