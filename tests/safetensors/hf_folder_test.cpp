// Hugging Face folders and lone safetensors files read: names mapped to the canonical
// ones with q/k taken out of the rotary layout, every storage form (safetensors or
// pytorch_model.bin, sharded or not, fp32 or bf16) giving the same values, and the folder
// rules (hf.*) broken one at a time.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "ckpt/checkpoint.hpp"
#include "ckpt/views.hpp"
#include "folder_fixtures.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

namespace fs = std::filesystem;

std::string torch_fixture(const std::string& rel) { return std::string(CKPT_SOURCE_DIR) + "/fixtures/torch/" + rel; }

using test::copy_folder;
using test::read_text;
using test::write_text;

void replace(std::string& s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
}

std::vector<nlohmann::json> findings_of(const std::string& path, int* code) {
  return test::validate_findings(path, code);
}

std::vector<std::string> messages_of(const std::vector<nlohmann::json>& fs, const std::string& rule) {
  std::vector<std::string> out;
  for (const auto& f : fs)
    if (f["rule"] == rule) out.push_back(f["message"].get<std::string>());
  return out;
}

TEST(HfFolder, EveryStorageFormReadsTheSameModel) {
  for (const char* d : {"f32-safetensors", "f32-bin", "bf16-safetensors-sharded", "bf16-bin-sharded"}) {
    auto cp = open_path(torch_fixture(std::string("hf/") + d));
    ASSERT_TRUE(cp) << d;
    EXPECT_EQ(cp->format.name(), "hf-llama") << d;
    EXPECT_TRUE(cp->findings.empty()) << d << ": " << cp->findings[0].message;
    ASSERT_TRUE(cp->config);
    EXPECT_EQ(cp->config->dim, 32);
    EXPECT_EQ(cp->config->n_heads, 4);
    EXPECT_EQ(cp->config->n_kv_heads, 2);
    EXPECT_EQ(cp->config->hidden_dim, 112);
    EXPECT_EQ(cp->config->vocab_size, 64);
    EXPECT_FALSE(cp->config->shared_classifier);
    const auto views = canonical_views(*cp);
    const auto* wq = find_view(views, "layers.0.attention.wq.weight");
    const auto* wk = find_view(views, "layers.0.attention.wk.weight");
    const auto* wv = find_view(views, "layers.0.attention.wv.weight");
    ASSERT_TRUE(wq && wk && wv) << d;
    EXPECT_EQ(wq->rotary_head_size, 8u);  // q and k read out of the rotary halves layout
    EXPECT_EQ(wk->rotary_head_size, 8u);
    EXPECT_EQ(wv->rotary_head_size, 0u);
    EXPECT_EQ(cp->tensors[wk->tensor].spec.name, "model.layers.0.self_attn.k_proj.weight");
    auto r = test::run_ckpt({"diff", torch_fixture(std::string("hf/") + d), torch_fixture("hf/f32-safetensors")});
    EXPECT_EQ(r.exit_code, 0) << d << "\n" << r.out;
  }
}

TEST(HfFolder, ALoneSafetensorsFileKeepsItsNamesAndMetadata) {
  auto cp = open_path(torch_fixture("hf/f32-safetensors/model.safetensors"));
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->format.name(), "safetensors");
  EXPECT_FALSE(cp->config);  // no config.json beside it: no config, no rotary undone
  const auto* lm = test::tensor_named(*cp, "lm_head.weight");
  ASSERT_NE(lm, nullptr);
  EXPECT_EQ(lm->spec.dtype, DType::f32);
  EXPECT_EQ(lm->spec.shape, (std::vector<uint64_t>{64, 32}));
  // The header: 8-byte length, then JSON; the first tensor's data follows it.
  const auto bytes = test::read_file(torch_fixture("hf/f32-safetensors/model.safetensors"));
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[size_t(i)];
  EXPECT_EQ(cp->header_size, 8 + n);
  uint64_t first = UINT64_MAX;
  for (const auto& t : cp->tensors) first = std::min(first, t.place.offset);
  EXPECT_EQ(first, 8 + n);
  const auto views = canonical_views(*cp);
  const auto* wq = find_view(views, "layers.0.attention.wq.weight");
  ASSERT_NE(wq, nullptr);
  EXPECT_EQ(wq->rotary_head_size, 0u);
}

TEST(HfFolder, ConfigContradictingATensorIsHfConfig) {
  const std::string dir = copy_folder(torch_fixture("hf/f32-safetensors"), "hf-config");
  std::string config = read_text(dir + "/config.json");
  replace(config, "\"intermediate_size\": 112", "\"intermediate_size\": 96");
  write_text(dir + "/config.json", config);
  int code = -1;
  auto fs = findings_of(dir, &code);
  EXPECT_EQ(code, 1);
  auto m = messages_of(fs, "hf.config");
  ASSERT_EQ(m.size(), 6u);  // gate, up and down of both layers
  EXPECT_EQ(m[0],
            "model.layers.0.mlp.gate_proj.weight has shape (112, 32), config.json (intermediate_size, hidden_size) "
            "implies (96, 32)");
  write_text(dir + "/config.json", "not json");
  fs = findings_of(dir, &code);
  EXPECT_EQ(messages_of(fs, "hf.config"), std::vector<std::string>{"config.json is not a JSON object"});
  const std::string out = test::temp_dir() + "/hf-config.bin";
  fs::remove(out);
  auto r = test::run_ckpt({"convert", dir, out, "--to", "ak42-v1-fp32"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(fs::exists(out));
}

TEST(HfFolder, MoreLayersInTheConfigThanStoredIsHfMissing) {
  const std::string dir = copy_folder(torch_fixture("hf/f32-safetensors"), "hf-missing");
  std::string config = read_text(dir + "/config.json");
  replace(config, "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3");
  write_text(dir + "/config.json", config);
  int code = -1;
  auto fs = findings_of(dir, &code);
  EXPECT_EQ(code, 1);
  auto m = messages_of(fs, "hf.missing");
  ASSERT_EQ(m.size(), 9u);  // the 9 parameters of layer 2
  EXPECT_EQ(m[0], "model.layers.2.self_attn.q_proj.weight is missing (config.json says 3 layers)");
}

TEST(HfFolder, AnIndexNamingTheWrongShardIsHfIndex) {
  const std::string dir = copy_folder(torch_fixture("hf/bf16-safetensors-sharded"), "hf-index");
  std::string index = read_text(dir + "/model.safetensors.index.json");
  replace(index, "\"lm_head.weight\": \"model-00002-of-00002.safetensors\"",
          "\"lm_head.weight\": \"model-00001-of-00002.safetensors\"");
  write_text(dir + "/model.safetensors.index.json", index);
  int code = -1;
  auto fs = findings_of(dir, &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(
      messages_of(fs, "hf.index"),
      std::vector<std::string>{"model.safetensors.index.json lists lm_head.weight in "
                               "model-00001-of-00002.safetensors, but model-00002-of-00002.safetensors holds it"});
}

TEST(HfFolder, AnUnreadableShardNamesItsFile) {
  const std::string dir = copy_folder(torch_fixture("hf/bf16-safetensors-sharded"), "hf-unreadable");
  write_text(dir + "/model-00002-of-00002.safetensors", "\x01\x02");
  int code = -1;
  auto fs = findings_of(dir, &code);
  EXPECT_EQ(code, 1);
  bool named = false;
  for (const auto& f : fs)
    named |= f["rule"] == "safetensors.too_small" &&
             f["message"].get<std::string>().rfind("model-00002-of-00002.safetensors: ", 0) == 0;
  EXPECT_TRUE(named);
  EXPECT_FALSE(messages_of(fs, "hf.missing").empty());  // its tensors are missing too
}

TEST(HfFolder, TiedWithoutLmHeadIsShared) {
  auto cp = open_path(torch_fixture("hf/f32-safetensors-mha-tied"));
  ASSERT_TRUE(cp);
  ASSERT_TRUE(cp->config);
  EXPECT_TRUE(cp->config->shared_classifier);
  EXPECT_TRUE(cp->findings.empty());
}

}  // namespace
}  // namespace ckpt
