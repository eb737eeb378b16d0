#pragma once
// Helpers for the validate tests: layouts to predict offsets, a tokenizer builder, and
// running validate_source on bytes held in memory.
#include <string>
#include <vector>

#include "ckpt/validate.hpp"
#include "llama2c/formats.hpp"
#include "llama2c/layout.hpp"
#include "test_support.hpp"

namespace ckpt::test {

// The config write_bytes uses for format f (group size filled in for Q8_0).
inline ModelConfig written_config(Format f, ModelConfig c) {
  if (llama2c::is_q8(f) && c.group_size <= 0) c.group_size = exporter_group_size(c.dim);
  if (!llama2c::is_q8(f)) c.group_size = 0;
  return c;
}

// The placement of tensor `name` in format f for config c.
inline Placement place_of(Format f, const ModelConfig& c, const std::string& name) {
  auto l = llama2c::build_layout(f, written_config(f, c));
  if (!l) return {};
  for (size_t i = 0; i < l->tensors.size(); ++i)
    if (l->tensors[i].name == name) return l->places[i];
  return {};
}

// A llama2.c tokenizer with scores: token i is (score -1.5-i, length 1 + i % 3, bytes 'a'+i%26).
inline std::vector<uint8_t> tokenizer_bytes(int n_tokens, int32_t max_len = 3) {
  std::vector<uint8_t> b(4);
  put_i32(b, 0, max_len);
  for (int i = 0; i < n_tokens; ++i) {
    const int len = 1 + i % 3;
    const size_t at = b.size();
    b.resize(at + 8 + size_t(len));
    put_f32(b, at, -1.5f - float(i));
    put_i32(b, at + 4, len);
    for (int k = 0; k < len; ++k) b[at + 8 + size_t(k)] = uint8_t('a' + i % 26);
  }
  return b;
}
// Offset of token i's entry in tokenizer_bytes.
inline uint64_t tokenizer_entry_offset(int i) {
  uint64_t off = 4;
  for (int k = 0; k < i; ++k) off += 8 + uint64_t(1 + k % 3);
  return off;
}

inline FileReport validate_bytes(const std::vector<uint8_t>& bytes, const ValidateOptions& opt = {}) {
  MemorySource src(bytes, "<test>");
  return validate_source(src, opt);
}

inline const ValidationFinding* find_rule_in(const FileReport& r, const std::string& rule) {
  for (const auto& f : r.findings)
    if (f.rule == rule) return &f;
  return nullptr;
}

// Every finding as one line, for failure messages.
inline std::string dump(const FileReport& r) {
  std::string s = "format " + std::string(format_name(r.format)) + (r.could_not_run ? " (could not run)" : "") + "\n";
  for (const auto& f : r.findings)
    s += "  " + std::string(severity_name(f.severity)) + " " + f.rule + " @" +
         (f.offset ? std::to_string(*f.offset) : std::string("-")) + " [" + f.tensor + f.field + "] " + f.message +
         "\n";
  return s;
}

}  // namespace ckpt::test
