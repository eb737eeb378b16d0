#pragma once
// Helpers of the model-folder tests (torch/, safetensors/): copies of fixture folders to
// break one file at a time, small text files, and validate --json's findings.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace ckpt::test {

// The fixture folder's files copied into a fresh temporary folder named `name`.
inline std::string copy_folder(const std::string& from, const std::string& name) {
  namespace fs = std::filesystem;
  const std::string to = temp_dir() + "/" + name;
  fs::remove_all(to);
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(from)) fs::copy_file(e.path(), to + "/" + e.path().filename().string());
  return to;
}

inline std::string read_text(const std::string& path) {
  auto b = read_file(path);
  return std::string(b.begin(), b.end());
}

inline void write_text(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
}

// The findings of `ckpt validate PATH --json` (every file's), and its exit code.
inline std::vector<nlohmann::json> validate_findings(const std::string& path, int* code = nullptr) {
  auto r = run_ckpt({"validate", path, "--json"});
  if (code) *code = r.exit_code;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  std::vector<nlohmann::json> out;
  if (j.is_discarded()) return out;
  const auto& files = j.contains("files") ? j["files"] : nlohmann::json::array({j});
  for (const auto& f : files)
    for (const auto& x : f["findings"]) out.push_back(x);
  return out;
}

}  // namespace ckpt::test
