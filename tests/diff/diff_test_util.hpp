#pragma once
// Helpers shared by the diff tests: run the library diff on two in-memory files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <ostream>

#include "ckpt/diff.hpp"
#include "ckpt/locate.hpp"
#include "test_support.hpp"

namespace ckpt {
// gtest prints a diagnosis kind by its name.
inline void PrintTo(DiagnosisKind k, std::ostream* os) { *os << diagnosis_kind_name(k); }
}  // namespace ckpt

namespace ckpt::test {

inline Result<DiffReport> diff_memory(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b,
                                      const DiffOptions& opt = {}) {
  MemorySource sa(a, "A"), sb(b, "B");
  auto ca = open_checkpoint(sa), cb = open_checkpoint(sb);
  if (!ca) return ca.error();
  if (!cb) return cb.error();
  return diff_checkpoints(*ca, *cb, opt);
}

inline const TensorDiff* find_tensor(const DiffReport& r, const std::string& name) {
  for (const auto& t : r.tensors)
    if (t.name == name) return &t;
  return nullptr;
}

// The names of the tensors that count as differences, in report order.
inline std::vector<std::string> differing(const DiffReport& r) {
  std::vector<std::string> out;
  for (const auto& t : r.tensors)
    if (t.is_difference()) out.push_back(t.name);
  return out;
}

inline std::vector<float>& tensor(MemoryWeights& w, const std::string& name) {
  auto it = w.tensors.find(name);
  EXPECT_NE(it, w.tensors.end()) << name;
  return it->second;
}

// Row-major transpose of an (r, c) matrix: the (c, r) result, flattened.
inline std::vector<float> transpose(const std::vector<float>& v, uint64_t r, uint64_t c) {
  std::vector<float> t(v.size());
  for (uint64_t i = 0; i < r; ++i)
    for (uint64_t j = 0; j < c; ++j) t[j * r + i] = v[i * c + j];
  return t;
}

// HF -> Meta rotary reordering of the rows of an (n_heads*hs, cols) matrix:
// new row h*hs + 2i + k = old row h*hs + k*hs/2 + i.
inline std::vector<float> hf_to_meta(const std::vector<float>& v, uint64_t hs, uint64_t cols) {
  std::vector<float> out(v.size());
  const uint64_t rows = v.size() / cols, half = hs / 2;
  for (uint64_t h = 0; h < rows / hs; ++h)
    for (uint64_t i = 0; i < half; ++i)
      for (uint64_t k = 0; k < 2; ++k)
        std::copy_n(v.begin() + int64_t((h * hs + k * half + i) * cols), cols,
                    out.begin() + int64_t((h * hs + 2 * i + k) * cols));
  return out;
}

// The inverse: new row h*hs + k*hs/2 + i = old row h*hs + 2i + k.
inline std::vector<float> meta_to_hf(const std::vector<float>& v, uint64_t hs, uint64_t cols) {
  std::vector<float> out(v.size());
  const uint64_t rows = v.size() / cols, half = hs / 2;
  for (uint64_t h = 0; h < rows / hs; ++h)
    for (uint64_t i = 0; i < half; ++i)
      for (uint64_t k = 0; k < 2; ++k)
        std::copy_n(v.begin() + int64_t((h * hs + 2 * i + k) * cols), cols,
                    out.begin() + int64_t((h * hs + k * half + i) * cols));
  return out;
}

// ---- re-layouts of a matrix, as converters for other hardware write them -------------

// Tile order of an (r, c) matrix, padded with zeros to multiples of the tile: tiles
// row-major; inside a tile, faces of face x face row-major (tt-metal: tiles of 32, four
// 16x16 faces: top-left, top-right, bottom-left, bottom-right), row-major inside a face;
// face == tile is a tile stored row-major. Written as an independent loop nest (the
// library computes a position formula).
inline std::vector<float> tilize(const std::vector<float>& v, uint64_t r, uint64_t c, uint64_t face = 16,
                                 uint64_t tile = 32) {
  const uint64_t pr = (r + tile - 1) / tile * tile, pc = (c + tile - 1) / tile * tile, nf = tile / face;
  std::vector<float> out;
  out.reserve(pr * pc);
  for (uint64_t tr = 0; tr < pr / tile; ++tr)
    for (uint64_t tc = 0; tc < pc / tile; ++tc)
      for (uint64_t fr = 0; fr < nf; ++fr)
        for (uint64_t fc = 0; fc < nf; ++fc)
          for (uint64_t i = 0; i < face; ++i)
            for (uint64_t j = 0; j < face; ++j) {
              const uint64_t row = tr * tile + fr * face + i, col = tc * tile + fc * face + j;
              out.push_back(row < r && col < c ? v[row * c + col] : 0.0f);
            }
  return out;
}

// The inverse: the (r, c) matrix whose (padded) tiles are `t`.
inline std::vector<float> untilize(const std::vector<float>& t, uint64_t r, uint64_t c, uint64_t face = 16,
                                   uint64_t tile = 32) {
  const uint64_t pc = (c + tile - 1) / tile * tile, nf = tile / face;
  std::vector<float> out(r * c);
  uint64_t k = 0;
  for (uint64_t tr = 0; tr < (r + tile - 1) / tile; ++tr)
    for (uint64_t tc = 0; tc < pc / tile; ++tc)
      for (uint64_t fr = 0; fr < nf; ++fr)
        for (uint64_t fc = 0; fc < nf; ++fc)
          for (uint64_t i = 0; i < face; ++i)
            for (uint64_t j = 0; j < face; ++j, ++k) {
              const uint64_t row = tr * tile + fr * face + i, col = tc * tile + fc * face + j;
              if (row < r && col < c) out[row * c + col] = t[k];
            }
  return out;
}

// Row i of the result is row order[i] of v (cols per row).
inline std::vector<float> permute_rows(const std::vector<float>& v, uint64_t cols, const std::vector<uint64_t>& order) {
  std::vector<float> out(v.size());
  for (uint64_t i = 0; i < order.size(); ++i)
    std::copy_n(v.begin() + int64_t(order[i] * cols), cols, out.begin() + int64_t(i * cols));
  return out;
}

// Column j of the result is column order[j] of v.
inline std::vector<float> permute_cols(const std::vector<float>& v, uint64_t cols, const std::vector<uint64_t>& order) {
  std::vector<float> out(v.size());
  for (uint64_t i = 0; i < v.size() / cols; ++i)
    for (uint64_t j = 0; j < cols; ++j) out[i * cols + j] = v[i * cols + order[j]];
  return out;
}

// Blocks of `block` items in the given block order: item map of a head reordering.
inline std::vector<uint64_t> block_order(const std::vector<uint64_t>& blocks, uint64_t block) {
  std::vector<uint64_t> out;
  for (uint64_t b : blocks)
    for (uint64_t i = 0; i < block; ++i) out.push_back(b * block + i);
  return out;
}

// A deterministic shuffle of 0..n-1 (Fisher-Yates on a linear congruential generator).
inline std::vector<uint64_t> shuffled(uint64_t n, uint64_t seed) {
  std::vector<uint64_t> p(n);
  for (uint64_t i = 0; i < n; ++i) p[i] = i;
  uint64_t x = seed * 2862933555777941757ull + 3037000493ull;
  for (uint64_t i = n; i > 1; --i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    std::swap(p[i - 1], p[(x >> 33) % i]);
  }
  return p;
}

// ---- rounding, as exporters do it ------------------------------------------------------

inline float bf16_rne(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  b = (b + 0x7FFFu + ((b >> 16) & 1u)) & 0xFFFF0000u;
  std::memcpy(&x, &b, 4);
  return x;
}

inline float bf16_truncate(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  b &= 0xFFFF0000u;
  std::memcpy(&x, &b, 4);
  return x;
}

inline float fp16_rne(float x) { return float(static_cast<_Float16>(x)); }

// llama2.c export.py's Q8_0 round trip in fp32: per group of g, scale = max|w| / 127,
// q = round(w / scale) (half to even, as torch.round), value = q * scale.
inline std::vector<float> q8_round_trip(const std::vector<float>& v, uint64_t g) {
  std::vector<float> out(v.size());
  for (uint64_t i = 0; i < v.size(); i += g) {
    float wmax = 0;
    for (uint64_t k = i; k < i + g; ++k) wmax = std::max(wmax, std::fabs(v[k]));
    const float scale = wmax / 127.0f;
    for (uint64_t k = i; k < i + g; ++k) out[k] = scale == 0 ? 0.0f : std::nearbyint(v[k] / scale) * scale;
  }
  return out;
}

template <class F>
std::vector<float> map_values(std::vector<float> v, F f) {
  for (float& x : v) x = f(x);
  return v;
}

// ---- a file whose format stores each tensor's shape (like safetensors or tt-train) ----

struct FreeTensor {
  std::string name;
  std::vector<uint64_t> shape;
  std::vector<float> values;
};

// fp32 tensors of any shape in one in-memory file; read through whole views.
inline Checkpoint free_checkpoint(const std::vector<FreeTensor>& ts, const std::string& path) {
  Checkpoint cp;
  cp.path = path;
  std::vector<uint8_t> bytes;
  for (const auto& t : ts) {
    TensorInfo info;
    info.spec.name = t.name;
    info.spec.shape = t.shape;
    info.spec.numel = t.values.size();
    info.place.offset = bytes.size();
    info.place.nbytes = info.data_available = 4 * t.values.size();
    bytes.resize(bytes.size() + info.place.nbytes);
    std::memcpy(bytes.data() + info.place.offset, t.values.data(), info.place.nbytes);
    cp.tensors.push_back(info);
  }
  cp.file_size = bytes.size();
  cp.sources.push_back(std::make_shared<MemorySource>(std::move(bytes), path));
  return cp;
}

}  // namespace ckpt::test
