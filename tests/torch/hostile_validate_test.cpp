// `ckpt validate` on every file of fixtures/torch/hostile/MANIFEST.json, read at test
// time: "error" files exit 1 with a security.* error at each payload global's offset,
// "warning" files carry a security.unknown_global warning for the unknown global,
// "structural" files fail cleanly (exit 1 or 2 with an error finding, never a crash).
//
// Each hostile .pkl is checked bare (the pickle format) and the way torch.load would meet
// it: as the data.pkl of a torch.save zip, where its offsets move by the member's data
// offset.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "test_support.hpp"
#include "torch/zip_builder.hpp"

namespace ckpt {
namespace {

using nlohmann::json;

const std::string kHostile = std::string(CKPT_SOURCE_DIR) + "/fixtures/torch/hostile/";

json manifest() {
  std::ifstream f(kHostile + "MANIFEST.json");
  return json::parse(f);
}

std::string bytes_of(const std::string& path) {
  auto b = test::read_file(path);
  return std::string(b.begin(), b.end());
}

struct Validated {
  int exit_code = 0;
  json file;  // the one file report
};

Validated validate(const std::string& path) {
  const auto r = test::run_ckpt({"validate", path, "--json"});
  Validated v{r.exit_code, {}};
  const json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << path << ": " << r.out << r.err;
  if (!j.is_discarded() && j.contains("files") && j["files"].size() == 1) v.file = j["files"][0];
  return v;
}

std::string findings_text(const json& file) {
  std::string s;
  for (const auto& f : file.value("findings", json::array()))
    s += f.value("rule", "") + "@" + (f["offset"].is_number() ? std::to_string(f["offset"].get<uint64_t>()) : "-") +
         " " + f.value("severity", "") + "\n";
  return s;
}

bool has(const json& file, const std::string& rule_prefix, const std::string& severity, uint64_t offset) {
  for (const auto& f : file.value("findings", json::array()))
    if (f.value("rule", "").rfind(rule_prefix, 0) == 0 && f.value("severity", "") == severity &&
        f["offset"].is_number() && f["offset"].get<uint64_t>() == offset)
      return true;
  return false;
}

// A global that only carries the payload (torch's own rebuild, a harmless class): no
// finding is owed for it.
bool carrier(const json& g) {
  const std::string role = g.value("role", "");
  return role.rfind("allowed", 0) == 0 || role.rfind("harmless", 0) == 0;
}

// The verdict's promises for a report whose offsets are the manifest's plus `shift`.
void check_verdict(const json& entry, const Validated& v, uint64_t shift, const std::string& what) {
  const std::string verdict = entry["verdict"];
  SCOPED_TRACE(what + " (" + verdict + ")\n" + findings_text(v.file));
  ASSERT_LT(v.exit_code, 128) << "killed by signal " << v.exit_code - 128;
  if (verdict == "error") {
    EXPECT_EQ(v.exit_code, 1);
    std::set<uint64_t> offsets;
    for (const auto& g : entry["globals"]) {
      const uint64_t at = g["offset"].get<uint64_t>() + shift;
      offsets.insert(at);
      if (!carrier(g)) {
        EXPECT_TRUE(has(v.file, "security.", "error", at)) << "no security error at " << at;
      }
    }
    // No security finding anywhere else.
    for (const auto& f : v.file["findings"]) {
      if (f.value("rule", "").rfind("security.", 0) == 0) {
        EXPECT_TRUE(f["offset"].is_number() && offsets.count(f["offset"].get<uint64_t>())) << f.dump();
      }
    }
  } else if (verdict == "warning") {
    EXPECT_EQ(v.exit_code, 0);
    for (const auto& g : entry["globals"]) {
      const uint64_t at = g["offset"].get<uint64_t>() + shift;
      EXPECT_TRUE(has(v.file, "security.unknown_global", "warning", at)) << "no warning at " << at;
    }
    EXPECT_EQ(v.file["counts"].value("error", -1), 0);
  } else if (entry["file"] == "deep_nesting_empty_list_append.pkl") {
    // 100000 nested lists are a valid pickle (torch.load reads it; Python's unpickler is
    // no recursion), read in bounded memory. Bare, nothing walks the tree: no finding. As
    // data.pkl, the torch walk stops at TorchWalkLimits::max_depth (64) with a warning at
    // the 66th EMPTY_LIST (offset 2 + 65). Valid either way.
    EXPECT_EQ(v.exit_code, 0);
    if (shift == 0)
      EXPECT_TRUE(v.file["findings"].empty());
    else
      EXPECT_TRUE(has(v.file, "torch.tree_too_deep", "warning", shift + 2 + 65));
    EXPECT_EQ(v.file["counts"].value("error", -1), 0);
  } else if (entry["file"] == "cyclic_list.pkl") {
    // A list holding itself is a valid pickle too: walked once, no finding, no hang.
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_TRUE(v.file["findings"].empty());
  } else {
    ASSERT_EQ(verdict, "structural");
    EXPECT_TRUE(v.exit_code == 1 || v.exit_code == 2) << v.exit_code;
    EXPECT_GE(v.file["counts"].value("error", 0), 1);
  }
}

TEST(HostileValidate, ManifestCoversEveryFileOfTheFolder) {
  const json m = manifest();
  ASSERT_GE(m["files"].size(), 40u);
  std::set<std::string> listed;
  for (const auto& e : m["files"]) {
    const std::string file = e["file"];
    listed.insert(file);
    EXPECT_FALSE(test::read_file(kHostile + file).empty()) << file;
    const std::string verdict = e["verdict"];
    EXPECT_TRUE(verdict == "error" || verdict == "warning" || verdict == "structural") << file;
  }
  for (const auto& f : std::filesystem::directory_iterator(kHostile)) {
    const std::string name = f.path().filename().string();
    if (name != "MANIFEST.json") EXPECT_TRUE(listed.count(name)) << name << " is not in MANIFEST.json";
  }
}

TEST(HostileValidate, TorchContainersAsTheyAre) {
  size_t checked = 0;
  const json m = manifest();
  for (const auto& e : m["files"]) {
    if (e["container"] == "pickle") continue;
    const std::string file = e["file"];
    check_verdict(e, validate(kHostile + file), 0, file);
    ++checked;
  }
  EXPECT_EQ(checked, 3u);
}

TEST(HostileValidate, BarePickles) {
  size_t checked = 0;
  const json m = manifest();
  for (const auto& e : m["files"]) {
    if (e["container"] != "pickle") continue;
    const std::string file = e["file"];
    const Validated v = validate(kHostile + file);
    EXPECT_EQ(v.file.value("format", ""), "pickle") << file;
    check_verdict(e, v, 0, file);
    ++checked;
  }
  EXPECT_GE(checked, 40u);
}

TEST(HostileValidate, PicklesAsTheDataPklOfATorchZip) {
  size_t checked = 0;
  const json m = manifest();
  for (const auto& e : m["files"]) {
    if (e["container"] != "pickle") continue;
    const std::string file = e["file"];
    const std::string stem = file.substr(0, file.size() - 4);
    // torch.save's layout: <stem>/data.pkl stored, then the version record.
    auto built = torch::test::build_zip({{stem + "/data.pkl", bytes_of(kHostile + file)}, {stem + "/version", "3\n"}});
    const std::string path = test::write_temp(stem + ".pt", built.bytes);
    check_verdict(e, validate(path), built.data[0], file + " as " + stem + "/data.pkl");
    ++checked;
  }
  EXPECT_GE(checked, 40u);
}

}  // namespace
}  // namespace ckpt
