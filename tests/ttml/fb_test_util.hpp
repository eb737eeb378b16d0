#pragma once
// Helpers of the tt-train flatbuffer tests: the fixtures and their expected.json, copies
// of the fixture folder to break, tiles built from values, tars built from files, and
// every value of a tensor.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "ckpt/tensor_stream.hpp"
#include "test_support.hpp"
#include "ttml/tar.hpp"
#include "ttml/tile_codec.hpp"

// fixtures/ttml/<rel>; expected.json; copies of the fixture folder; tars; values; tiles.
namespace ckpt::test::fb {

namespace fs = std::filesystem;

inline std::string fixture(const std::string& rel) { return fixture_path("ttml/" + rel); }

inline const nlohmann::json& expected() {
  static const nlohmann::json j = [] {
    std::ifstream f(fixture("fb/expected.json"));
    return nlohmann::json::parse(f);
  }();
  return j;
}

inline const nlohmann::json& expected_tensor(const std::string& group, const std::string& key) {
  for (const auto& e : expected()["tensors"][group])
    if (e["key"] == key) return e;
  static const nlohmann::json none;
  return none;
}

inline std::string copy_tiny_llama(const std::string& name) {
  const std::string dir = temp_dir() + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(fixture("fb/tiny_llama")))
    fs::copy_file(e.path(), dir + "/" + e.path().filename().string());
  return dir;
}

inline std::map<std::string, std::vector<uint8_t>> folder_files(const std::string& dir) {
  std::map<std::string, std::vector<uint8_t>> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) out[e.path().filename().string()] = read_file(e.path().string());
  return out;
}

inline std::vector<uint8_t> make_tar(const std::map<std::string, std::vector<uint8_t>>& files,
                                     const std::string& prefix = "") {
  std::vector<uint8_t> out;
  for (const auto& [name, bytes] : files) {
    std::array<uint8_t, 512> h;
    ttml::make_tar_header(prefix + name, bytes.size(), 0, h);
    out.insert(out.end(), h.begin(), h.end());
    out.insert(out.end(), bytes.begin(), bytes.end());
    out.resize((out.size() + 511) / 512 * 512, 0);
  }
  out.resize(out.size() + 1024, 0);
  return out;
}

inline std::vector<float> values(const Checkpoint& cp, const TensorInfo& t, size_t chunk = size_t(1) << 20) {
  std::vector<float> v;
  auto r = stream_f32(
      cp, t,
      [&](uint64_t first, const float* x, size_t n) {
        EXPECT_EQ(first, v.size());
        v.insert(v.end(), x, x + n);
        return true;
      },
      chunk);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return v;
}

inline std::vector<uint8_t> tilize_bf16(const std::vector<float>& v, uint64_t rows, uint64_t cols, float pad = 0.0f) {
  const uint64_t pr = (rows + 31) / 32 * 32, pc = (cols + 31) / 32 * 32;
  std::vector<float> full(pr * pc, pad);
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c = 0; c < cols; ++c) full[r * pc + c] = v[r * cols + c];
  std::vector<uint8_t> out(pr / 32 * (pc / 32) * 2048);
  size_t at = 0;
  for (uint64_t tr = 0; tr < pr / 32; ++tr)
    for (uint64_t tc = 0; tc < pc / 32; ++tc, at += 2048)
      ttml::encode_bf16_tile(full.data() + tr * 32 * pc + tc * 32, pc, out.data() + at);
  return out;
}

inline void put_u64(std::vector<uint8_t>& b, uint64_t at, uint64_t v) { std::memcpy(b.data() + at, &v, 8); }
inline void put_u32(std::vector<uint8_t>& b, uint64_t at, uint32_t v) { std::memcpy(b.data() + at, &v, 4); }
inline uint32_t get_u32(const std::vector<uint8_t>& b, uint64_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}

inline size_t find_bytes(const std::vector<uint8_t>& hay, const std::string& needle, size_t from = 0) {
  auto it =
      std::search(hay.begin() + std::ptrdiff_t(std::min(from, hay.size())), hay.end(), needle.begin(), needle.end());
  return it == hay.end() ? SIZE_MAX : size_t(it - hay.begin());
}

// A minimal flatbuffer navigator, written apart from the reader so that tests compute
// the offsets they expect independently: positions are within `b` (a flatbuffer starting
// at `base`).
struct FbNav {
  const std::vector<uint8_t>& b;
  uint64_t base = 0;
  uint32_t u32(uint64_t at) const { return get_u32(b, base + at); }
  uint16_t u16(uint64_t at) const {
    uint16_t v;
    std::memcpy(&v, b.data() + base + at, 2);
    return v;
  }
  uint64_t root() const { return u32(0); }
  // The slot of field `id` of the table at `t` (0 when absent).
  uint64_t slot(uint64_t t, int id) const {
    int32_t soff;
    std::memcpy(&soff, b.data() + base + t, 4);
    const uint64_t vt = uint64_t(int64_t(t) - soff);
    const uint16_t vsize = u16(vt);
    const uint64_t at = 4 + 2 * uint64_t(id);
    const uint16_t off = at < vsize ? u16(vt + at) : 0;
    return off ? t + off : 0;
  }
  // What the offset in field `id` points at.
  uint64_t target(uint64_t t, int id) const {
    const uint64_t s = slot(t, id);
    return s + u32(s);
  }
  // Element i of a vector of offsets at `v`: where it points.
  uint64_t element(uint64_t v, uint32_t i) const {
    const uint64_t e = v + 4 + 4 * uint64_t(i);
    return e + u32(e);
  }
  std::string string_at(uint64_t s) const {
    return std::string(reinterpret_cast<const char*>(b.data() + base + s + 4), u32(s));
  }
  // metadata.flatbuffer: the KeyValuePair table of `key` (0 when absent).
  uint64_t pair(const std::string& key) const {
    const uint64_t v = target(root(), 0);
    for (uint32_t i = 0; i < u32(v); ++i) {
      const uint64_t p = element(v, i);
      if (string_at(target(p, 0)) == key) return p;
    }
    return 0;
  }
};

}  // namespace ckpt::test::fb
