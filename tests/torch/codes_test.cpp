// The rule catalogues list every rule once, under the agreed prefixes; every
// `inline constexpr RuleDef` of the code headers is in its catalogue.
#include <gtest/gtest.h>

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

}  // namespace
