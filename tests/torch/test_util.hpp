#pragma once
// Shared helpers of the torch reader tests: fixture paths, file loading, finding lookups.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/finding.hpp"

namespace ckpt::torch::test {

inline std::string data_path(const std::string& name) { return std::string(CKPT_TORCH_TEST_DATA) + "/" + name; }

inline std::vector<uint8_t> load(const std::string& name) {
  std::ifstream f(data_path(name), std::ios::binary);
  EXPECT_TRUE(f.good()) << name;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

inline const Finding* find_rule(const std::vector<Finding>& fs, std::string_view rule) {
  for (const auto& f : fs)
    if (f.rule == rule) return &f;
  return nullptr;
}

inline size_t count_rule(const std::vector<Finding>& fs, std::string_view rule) {
  return size_t(std::count_if(fs.begin(), fs.end(), [&](const Finding& f) { return f.rule == rule; }));
}

inline size_t count_prefix(const std::vector<Finding>& fs, std::string_view prefix) {
  return size_t(std::count_if(fs.begin(), fs.end(), [&](const Finding& f) { return f.rule.rfind(prefix, 0) == 0; }));
}

inline std::string rules_of(const std::vector<Finding>& fs) {
  std::string s;
  for (const auto& f : fs) s += f.rule + "@" + (f.offset ? std::to_string(*f.offset) : "-") + " " + f.message + "\n";
  return s;
}

}  // namespace ckpt::torch::test
