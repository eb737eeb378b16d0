// The rule catalogues list every rule once, under the agreed prefixes; every
// `inline constexpr RuleDef` of the code headers is in its catalogue.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "safetensors_codes.hpp"
#include "torch_codes.hpp"

namespace {

size_t rule_definitions(const std::string& header) {
  std::ifstream f(std::string(CKPT_TORCH_TEST_DATA) + "/../../../formats/" + header);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  size_t n = 0;
  for (size_t at = text.find("inline constexpr RuleDef "); at != std::string::npos;
       at = text.find("inline constexpr RuleDef ", at + 1))
    ++n;
  return n;
}

template <class Catalogue>
void check(const Catalogue& cat, std::initializer_list<std::string_view> prefixes, const std::string& header) {
  std::set<std::string_view> ids;
  for (const auto* r : cat) {
    EXPECT_TRUE(ids.insert(r->id).second) << r->id;
    bool ok = false;
    for (auto p : prefixes) ok = ok || r->id.substr(0, p.size()) == p;
    EXPECT_TRUE(ok) << r->id;
    EXPECT_FALSE(r->meaning.empty()) << r->id;
  }
  EXPECT_EQ(rule_definitions(header), cat.size()) << header;
}

TEST(Codes, TorchCatalogueIsComplete) {
  check(ckpt::torch::kRuleCatalogue, {"pickle.", "security.", "torch.", "zip."}, "torch/torch_codes.hpp");
}

TEST(Codes, SafetensorsCatalogueIsComplete) {
  check(ckpt::safetensors::kRuleCatalogue, {"safetensors."}, "safetensors/safetensors_codes.hpp");
}

// Every catalogued rule id is written, as a string literal, in some test source: a new
// rule cannot arrive without a test that names it.
std::string all_test_sources() {
  std::string all;
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::string(CKPT_SOURCE_DIR) + "/tests")) {
    const auto ext = e.path().extension();
    if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
    std::ifstream f(e.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(f), {});
  }
  return all;
}

template <class Catalogue>
std::string untested(const Catalogue& cat, const std::string& sources) {
  std::string missing;
  for (const auto* r : cat)
    if (sources.find("\"" + std::string(r->id) + "\"") == std::string::npos) missing += std::string(r->id) + " ";
  return missing;
}

TEST(Codes, EveryCataloguedRuleIsNamedByATest) {
  const std::string sources = all_test_sources();
  ASSERT_GT(sources.size(), 100000u);  // the walk found the test tree
  EXPECT_EQ(untested(ckpt::torch::kRuleCatalogue, sources), "");
  EXPECT_EQ(untested(ckpt::safetensors::kRuleCatalogue, sources), "");
}

}  // namespace
