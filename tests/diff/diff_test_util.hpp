#pragma once
// Helpers shared by the diff tests: run the library diff on two in-memory files.
#include <gtest/gtest.h>

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

}  // namespace ckpt::test
