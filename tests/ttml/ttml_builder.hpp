#pragma once
// Test helper: writes msgpack bytes by hand (big-endian headers, exact encodings) and
// remembers offsets, so corrupt-file tests can assert the exact byte a finding names.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace ckpt::test {

class Mp {
 public:
  std::vector<uint8_t> b;
  uint64_t pos() const { return b.size(); }

  Mp& byte(uint8_t x) {
    b.push_back(x);
    return *this;
  }
  Mp& be(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) b.push_back(uint8_t(v >> (8 * i)));
    return *this;
  }
  Mp& map(uint32_t n) {
    return n < 16 ? byte(uint8_t(0x80 | n)) : n < 65536 ? byte(0xde).be(n, 2) : byte(0xdf).be(n, 4);
  }
  Mp& arr(uint32_t n) {
    return n < 16 ? byte(uint8_t(0x90 | n)) : n < 65536 ? byte(0xdc).be(n, 2) : byte(0xdd).be(n, 4);
  }
  Mp& str(const std::string& s) {
    if (s.size() < 32)
      byte(uint8_t(0xa0 | s.size()));
    else if (s.size() < 256)
      byte(0xd9).be(s.size(), 1);
    else if (s.size() < 65536)
      byte(0xda).be(s.size(), 2);
    else
      byte(0xdb).be(s.size(), 4);
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Mp& bin(const std::vector<uint8_t>& x) {
    byte(0xc4).be(x.size(), 1);
    b.insert(b.end(), x.begin(), x.end());
    return *this;
  }
  Mp& uint(uint64_t v) {
    if (v < 128) return byte(uint8_t(v));
    if (v < 256) return byte(0xcc).be(v, 1);
    if (v < 65536) return byte(0xcd).be(v, 2);
    if (v < (uint64_t(1) << 32)) return byte(0xce).be(v, 4);
    return byte(0xcf).be(v, 8);
  }
  Mp& sint(int64_t v) {
    if (v >= -32) return byte(uint8_t(int8_t(v)));
    if (v >= -128) return byte(0xd0).be(uint8_t(int8_t(v)), 1);
    if (v >= -32768) return byte(0xd1).be(uint16_t(int16_t(v)), 2);
    return byte(0xd3).be(uint64_t(v), 8);
  }
  Mp& f32(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return byte(0xca).be(u, 4);
  }
  Mp& f64(double d) {
    uint64_t u;
    std::memcpy(&u, &d, 8);
    return byte(0xcb).be(u, 8);
  }
  Mp& boolean(bool v) { return byte(v ? 0xc3 : 0xc2); }
  // [variant, ...] value header; the payload follows.
  Mp& var(uint8_t v) { return arr(2).uint(v); }
  Mp& shape(const std::vector<uint32_t>& dims) {
    std::vector<uint8_t> x(dims.size() * 4);
    std::memcpy(x.data(), dims.data(), x.size());
    return var(12).bin(x);
  }
  Mp& raw(const std::vector<uint8_t>& x) {
    b.insert(b.end(), x.begin(), x.end());
    return *this;
  }
};

// The keys of one tensor T written as tt-train does, data as float32 (5 entries, no
// grads flags): returns the offset of the data array header.
inline uint64_t put_tensor(Mp& m, const std::string& t, const std::vector<uint32_t>& dims,
                           const std::vector<float>& values, int data_type = 1) {
  m.str(t + "/value/shape").shape(dims);
  m.str(t + "/value/data_type").var(2).uint(uint64_t(data_type));
  m.str(t + "/value/layout").var(2).uint(1);
  m.str(t + "/value/storage_type").var(2).uint(1);
  m.str(t + "/value/data").var(10);
  const uint64_t at = m.pos();
  m.arr(uint32_t(values.size()));
  for (float v : values) m.f32(v);
  return at;
}

}  // namespace ckpt::test
