// `ckpt diff` on the command line: exit codes, JSON parsed back, text order and summary,
// and the real stories260K file with its matrices transposed.
#include <cstring>
#include <nlohmann/json.hpp>

#include "diff_test_util.hpp"
#include "llama2c/formats.hpp"

namespace ckpt::test {
namespace {

using nlohmann::json;

std::string last_line(const std::string& s) {
  const size_t end = s.find_last_not_of('\n');
  const size_t start = s.rfind('\n', end);
  return s.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

TEST(DiffCli, ExitCodesAndSummary) {
  const ModelConfig c = gqa_config();
  MemoryWeights w = make_weights(c);
  const std::string a = write_temp("diff_a.bin", write_bytes(llama2c::v0, c, w));
  const std::string same = write_temp("diff_same.bin", write_bytes(llama2c::ak42_v1_fp32, c, w));
  tensor(w, "layers.0.attention.wq.weight")[130] = 9.0f;
  const std::string changed = write_temp("diff_changed.bin", write_bytes(llama2c::ak42_v1_fp32, c, w));

  auto eq = run_ckpt({"diff", a, same});
  EXPECT_EQ(eq.exit_code, 0) << eq.err;
  EXPECT_EQ(last_line(eq.out), "equal: 20 tensors equal, config agrees");
  EXPECT_EQ(eq.err, "");  // stderr is not a terminal: no progress

  auto ne = run_ckpt({"diff", a, changed});
  EXPECT_EQ(ne.exit_code, 1);
  EXPECT_EQ(last_line(ne.out), "differs: 1 of 20 tensors differ (1 differs), config agrees");
  EXPECT_NE(ne.out.find("layers.0.attention.wq.weight"), std::string::npos);
  EXPECT_NE(ne.out.find("[2, 2]"), std::string::npos) << ne.out;

  EXPECT_EQ(run_ckpt({"diff", a, "/nonexistent/file.bin"}).exit_code, 2);
  EXPECT_EQ(run_ckpt({"diff", a}).exit_code, 2);
  EXPECT_EQ(run_ckpt({"diff", a, same, "--atol", "-1"}).exit_code, 2);
  EXPECT_EQ(run_ckpt({"diff", a, real_file("tok512.bin").empty() ? "/nonexistent" : real_file("tok512.bin")}).exit_code,
            2);

  auto bytes_same = run_ckpt({"diff", "--bytes", a, a});
  EXPECT_EQ(bytes_same.exit_code, 0);
  auto bytes_layout = run_ckpt({"diff", "--bytes", a, same});
  EXPECT_EQ(bytes_layout.exit_code, 1);  // same values, other bytes
}

TEST(DiffCli, JsonSchemaParsesBack) {
  const ModelConfig c = gqa_config();
  MemoryWeights w = make_weights(c);
  const std::string a = write_temp("diffj_a.bin", write_bytes(llama2c::v0, c, w));
  auto& w1 = tensor(w, "layers.1.feed_forward.w1.weight");
  auto& w3 = tensor(w, "layers.1.feed_forward.w3.weight");
  std::swap(w1, w3);
  for (int i = 0; i < 5; ++i) tensor(w, "norm.weight")[size_t(10 + i)] += 1.0f;
  ModelConfig cb = c;
  cb.seq_len = 64;
  const std::string b = write_temp("diffj_b.bin", write_bytes(llama2c::ak42_v2_q8_0, cb, w));
  auto r = run_ckpt({"diff", "--json", "--max-report", "3", a, b});
  EXPECT_EQ(r.exit_code, 1);
  json j = json::parse(r.out);
  EXPECT_EQ(j["schema"], "ckpt.diff/1");
  EXPECT_EQ(j["equal"], false);
  EXPECT_EQ(j["mode"], "tensors");
  EXPECT_EQ(j["a"]["format"], "llama2c-v0");
  EXPECT_EQ(j["b"]["format"], "ak42-v2-q8_0");
  ASSERT_EQ(j["config"].size(), 1u);
  EXPECT_EQ(j["config"][0]["field"], "seq_len");
  EXPECT_EQ(j["config"][0]["a"], 32);
  EXPECT_EQ(j["config"][0]["b"], 64);
  EXPECT_EQ(j["summary"]["differs"], 3);
  EXPECT_EQ(j["summary"]["layout_only"], 2);
  json norm, w1j;
  for (const auto& t : j["tensors"]) {
    if (t["name"] == "norm.weight") norm = t;
    if (t["name"] == "layers.1.feed_forward.w1.weight") w1j = t;
  }
  EXPECT_EQ(norm["status"], "differs");
  EXPECT_EQ(norm["mismatches"]["count"], 5);
  EXPECT_DOUBLE_EQ(norm["mismatches"]["percent"].get<double>(), 100.0 * 5 / 64);
  ASSERT_EQ(norm["first_mismatches"].size(), 3u);  // --max-report 3
  EXPECT_EQ(norm["first_mismatches"][0]["index"], json::array({10}));
  EXPECT_EQ(norm["first_mismatches"][0]["b"].get<float>(), norm["first_mismatches"][0]["a"].get<float>() + 1.0f);
  EXPECT_EQ(norm["rule"], "exact");
  EXPECT_TRUE(norm["cosine"].is_number());
  EXPECT_TRUE(norm["max_abs"]["index"].is_array());
  EXPECT_EQ(w1j["status"], "differs");
  EXPECT_EQ(w1j["rule"], "q8_0 half step");
  EXPECT_EQ(w1j["diagnosis"]["kind"], "swapped");
  EXPECT_EQ(w1j["diagnosis"]["other"], "layers.1.feed_forward.w3.weight");
}

TEST(DiffCli, TextPutsTheMostSeriousFirst) {
  ModelConfig c = gqa_config(), cb = gqa_config();
  cb.shared_classifier = false;
  MemoryWeights w = make_weights(cb);
  const std::string a = write_temp("difft_a.bin", write_bytes(llama2c::v0, c, w));
  tensor(w, "layers.0.ffn_norm.weight")[0] = 0.0f;
  const std::string b = write_temp("difft_b.bin", write_bytes(llama2c::v0, cb, w));
  auto r = run_ckpt({"diff", a, b});  // both v0: the RoPE tables are compared too (23 tensors)
  EXPECT_EQ(r.exit_code, 1);
  const size_t config = r.out.find("config differences"), only = r.out.find("only_in_b"),
               differs = r.out.find("differs         layers.0.ffn_norm.weight");
  ASSERT_NE(config, std::string::npos);
  ASSERT_NE(only, std::string::npos);
  ASSERT_NE(differs, std::string::npos) << r.out;
  EXPECT_LT(config, only);
  EXPECT_LT(only, differs);
  EXPECT_EQ(last_line(r.out), "differs: 2 of 23 tensors differ (1 differs, 1 only_in_b), 1 config field differs");
}

// The real file with every weight matrix stored transposed (same header): what a
// project using the other convention writes. Each must be diagnosed as transposed.
TEST(DiffCli, RealFileWithTransposedMatrices) {
  const std::string path = real_file("stories260K.bin");
  if (path.empty()) GTEST_SKIP() << "shared/real is absent";
  auto bytes = read_file(path);
  auto cp = open_bytes(bytes);
  ASSERT_TRUE(cp);
  auto out = bytes;
  std::vector<std::string> matrices;
  for (const auto& t : cp->tensors) {
    if (t.spec.shape.size() != 2 || t.spec.name.rfind("freqs", 0) == 0) continue;
    const uint64_t r = t.spec.shape[0], c = t.spec.shape[1];
    std::vector<float> v(t.spec.numel);
    std::memcpy(v.data(), bytes.data() + t.place.offset, t.place.nbytes);
    auto tr = transpose(v, r, c);
    std::memcpy(out.data() + t.place.offset, tr.data(), t.place.nbytes);
    matrices.push_back(t.spec.name);
  }
  const std::string b = write_temp("stories260K_transposed.bin", out);
  auto run = run_ckpt({"diff", "--json", path, b});
  EXPECT_EQ(run.exit_code, 1);
  json j = json::parse(run.out);
  size_t transposed = 0;
  for (const auto& t : j["tensors"]) {
    const bool matrix = std::find(matrices.begin(), matrices.end(), t["name"].get<std::string>()) != matrices.end();
    EXPECT_EQ(t["status"], matrix ? "differs" : "equal") << t["name"];
    if (matrix && t["diagnosis"].is_object() && t["diagnosis"]["kind"] == "transposed") ++transposed;
  }
  EXPECT_EQ(transposed, matrices.size());
  EXPECT_EQ(matrices.size(), 1u + 5u * 7u);
}

}  // namespace
}  // namespace ckpt::test

namespace ckpt::test {
namespace {

TEST(DiffCli, BytesTextMapsRangesInBothFiles) {
  const ModelConfig c = gqa_config();
  auto a = write_bytes(llama2c::ak42_v2_q8_0, c), b = a;
  auto cp = open_bytes(a);
  const TensorInfo* wv = cp->find("layers.1.attention.wv.weight");  // (32, 64), group size 64
  b[wv->place.offset + 3 * 64 + 9] ^= 0x04;
  b[wv->place.scale_offset + 4 * 3 + 1] ^= 0x01;
  const std::string pa = write_temp("bytes_a.bin", a), pb = write_temp("bytes_b.bin", b);
  auto r = run_ckpt({"diff", "--bytes", pa, pb});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("      A: layers.1.attention.wv.weight int8 element [3, 9] (group 3)\n"
                       "      B: layers.1.attention.wv.weight int8 element [3, 9] (group 3)\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("A: layers.1.attention.wv.weight scale element [3, 0] (group 3)"), std::string::npos) << r.out;
  EXPECT_EQ(last_line(r.out), "differs: 2 of " + std::to_string(a.size()) + " bytes differ in 2 ranges");
  json j = json::parse(run_ckpt({"diff", "--bytes", "--json", pa, pb}).out);
  EXPECT_EQ(j["mode"], "bytes");
  EXPECT_EQ(j["bytes"]["differing"], 2);
  EXPECT_EQ(j["bytes"]["first_ranges"][1]["b"]["first"]["part"], "scale");
  EXPECT_EQ(j["bytes"]["first_ranges"][1]["b"]["first"]["group"], 3);
}

}  // namespace
}  // namespace ckpt::test

namespace ckpt::test {
namespace {

TEST(DiffCli, NonFiniteJsonNumbersAndNoDiagnose) {
  const ModelConfig c = gqa_config();
  MemoryWeights w = make_weights(c);
  const std::string a = write_temp("nf_a.bin", write_bytes(llama2c::v0, c, w));
  for (float& v : tensor(w, "layers.0.feed_forward.w3.weight")) v = 0.0f;
  tensor(w, "norm.weight")[2] = std::nanf("");
  const std::string b = write_temp("nf_b.bin", write_bytes(llama2c::v0, c, w));
  json j = json::parse(run_ckpt({"diff", "--json", a, b}).out);
  json w3, norm;
  for (const auto& t : j["tensors"]) {
    if (t["name"] == "layers.0.feed_forward.w3.weight") w3 = t;
    if (t["name"] == "norm.weight") norm = t;
  }
  EXPECT_EQ(w3["max_rel"]["value"], "inf");  // B is 0 where A is not
  EXPECT_EQ(w3["cosine"], nullptr);          // B's norm is 0
  EXPECT_EQ(w3["diagnosis"]["kind"], "zero_filled");
  EXPECT_EQ(norm["first_mismatches"][0]["b"], "nan");
  EXPECT_EQ(norm["first_mismatches"][0]["index"], json::array({2}));
  json quiet = json::parse(run_ckpt({"diff", "--json", "--no-diagnose", a, b}).out);
  for (const auto& t : quiet["tensors"]) EXPECT_EQ(t["diagnosis"], nullptr) << t["name"];
  EXPECT_EQ(run_ckpt({"diff", "--equal-nan", "--json", a, b}).exit_code, 1);  // w3 still differs
}

}  // namespace
}  // namespace ckpt::test
