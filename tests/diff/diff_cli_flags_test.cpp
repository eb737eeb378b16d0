// `ckpt diff` flags of the layout diagnoses: -q (exit code only), --summary (a line per
// tensor), --tensor GLOB (repeatable), and the new diagnosis fields in JSON.
#include <nlohmann/json.hpp>
#include <sstream>

#include "diff_test_util.hpp"
#include "llama2c/formats.hpp"

namespace ckpt::test {
namespace {

using nlohmann::json;

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// A (v0) and B (v1 fp32) where B's wo of layer 0 is tilized and its w2 of layer 1 is
// rounded to bf16; plus C equal to A in another layout.
struct Files {
  std::string a, b, same;
};

const Files& files() {
  static const Files f = [] {
    ModelConfig c = gqa_config();
    c.hidden_dim = 192;
    MemoryWeights w = make_weights(c), b = w;
    tensor(b, "layers.0.attention.wo.weight") = tilize(tensor(w, "layers.0.attention.wo.weight"), 64, 64);
    tensor(b, "layers.1.feed_forward.w2.weight") = map_values(tensor(w, "layers.1.feed_forward.w2.weight"), bf16_rne);
    return Files{write_temp("flags_a.bin", write_bytes(llama2c::v0, c, w)),
                 write_temp("flags_b.bin", write_bytes(llama2c::ak42_v1_fp32, c, b)),
                 write_temp("flags_same.bin", write_bytes(llama2c::ak42_v1_fp32, c, w))};
  }();
  return f;
}

TEST(DiffFlags, QuietAnswersByExitCodeAlone) {
  const Files& f = files();
  for (const char* q : {"-q", "--quiet"}) {
    auto ne = run_ckpt({"diff", q, f.a, f.b});
    EXPECT_EQ(ne.exit_code, 1);
    EXPECT_EQ(ne.out, "");
    EXPECT_EQ(ne.err, "");
    auto eq = run_ckpt({"diff", q, f.a, f.same});
    EXPECT_EQ(eq.exit_code, 0);
    EXPECT_EQ(eq.out, "");
    EXPECT_EQ(eq.err, "");
  }
  // Could not run: still exit 2, the reason on stderr (as cmp -s does).
  auto bad = run_ckpt({"diff", "-q", f.a, "/nonexistent/file.bin"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.out, "");
  EXPECT_NE(bad.err, "");
  EXPECT_EQ(run_ckpt({"diff", "-q", "--json", f.a, f.b}).exit_code, 2);  // nothing to print it in
  EXPECT_EQ(run_ckpt({"diff", "-q", "--summary", f.a, f.b}).exit_code, 2);
}

TEST(DiffFlags, StopAtFirstDifferenceStillAnswersEqual) {
  const Files& f = files();
  auto ra = read_file(f.a), rb = read_file(f.b), rs = read_file(f.same);
  DiffOptions opt;
  opt.stop_at_first_difference = true;
  opt.threads = 1;
  auto ne = diff_memory(ra, rb, opt);
  ASSERT_TRUE(ne);
  EXPECT_FALSE(ne->equal());
  for (const auto& t : ne->tensors) EXPECT_FALSE(t.diagnosis) << t.name;  // no time spent on them
  auto eq = diff_memory(ra, rs, opt);
  ASSERT_TRUE(eq);
  EXPECT_TRUE(eq->equal());
}

TEST(DiffFlags, SummaryIsOneLinePerTensor) {
  const Files& f = files();
  auto r = run_ckpt({"diff", "--summary", f.a, f.b});
  EXPECT_EQ(r.exit_code, 1);
  const auto lines = lines_of(r.out);
  // Header, the 20 weight tensors of a gqa file and v0's two RoPE tables (which v1 does
  // not store: layout only), summary.
  ASSERT_EQ(lines.size(), 1u + 22u + 1u);
  EXPECT_EQ(lines[0].rfind("tensor ", 0), 0u) << lines[0];
  for (const char* col : {"status", "max_abs", "rmse", "cosine", "diagnosis"})
    EXPECT_NE(lines[0].find(col), std::string::npos) << col;
  auto line_of = [&](const std::string& name) {
    for (const auto& l : lines)
      if (l.rfind(name + " ", 0) == 0) return l;
    return std::string();
  };
  const std::string wo = line_of("layers.0.attention.wo.weight");
  EXPECT_NE(wo.find(" differs "), std::string::npos) << wo;
  EXPECT_EQ(wo.substr(wo.size() - 8), " tilized") << wo;
  const std::string w2 = line_of("layers.1.feed_forward.w2.weight");
  EXPECT_EQ(w2.substr(w2.size() - 17), " rounded bf16 (B)") << w2;
  const std::string norm = line_of("norm.weight");
  EXPECT_NE(norm.find(" equal "), std::string::npos) << norm;
  EXPECT_EQ(norm.substr(norm.size() - 3), "  -") << norm;
  const std::string cos = line_of("freqs_cos");
  EXPECT_NE(cos.find(" layout_only "), std::string::npos) << cos;
  EXPECT_EQ(lines.back(), "differs: 2 of 20 tensors differ (2 differs), config agrees");
  // The columns line up: every row puts the status at the same offset.
  const size_t status_at = lines[0].find("status");
  EXPECT_EQ(wo.substr(status_at, 7), "differs");
  EXPECT_EQ(norm.substr(status_at, 5), "equal");
}

TEST(DiffFlags, TensorGlobsSelectByCanonicalName) {
  const Files& f = files();
  auto r = run_ckpt({"diff", "--json", "--tensor", "layers.1.*", "--tensor", "norm.weight", f.a, f.b});
  EXPECT_EQ(r.exit_code, 1);
  json j = json::parse(r.out);
  EXPECT_EQ(j["selected"], json({"layers.1.*", "norm.weight"}));
  std::vector<std::string> names;
  for (const auto& t : j["tensors"]) names.push_back(t["name"]);
  ASSERT_EQ(names.size(), 10u);  // 9 tensors of layer 1 and the final norm
  for (const auto& n : names) EXPECT_TRUE(n.rfind("layers.1.", 0) == 0 || n == "norm.weight") << n;
  EXPECT_EQ(j["summary"]["differs"], 1);
  // Leaving the differing tensors out answers "equal".
  auto eq = run_ckpt({"diff", "--tensor", "*.wq.weight", "--tensor", "tok_embeddings.weight", f.a, f.b});
  EXPECT_EQ(eq.exit_code, 0) << eq.out;
  EXPECT_NE(eq.out.find("equal: 3 tensors equal"), std::string::npos) << eq.out;
  // A glob that selects nothing is a usage error, not an empty (equal) comparison.
  auto none = run_ckpt({"diff", "--tensor", "layers.*", "--tensor", "layer.0.*", f.a, f.b});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("--tensor 'layer.0.*' matches no tensor of either file"), std::string::npos) << none.err;
  EXPECT_EQ(run_ckpt({"diff", "--bytes", "--tensor", "norm.weight", f.a, f.b}).exit_code, 2);
  // The library's matcher: fnmatch, where * crosses dots.
  EXPECT_TRUE(tensor_selected({}, "anything"));
  EXPECT_TRUE(tensor_selected({"*.w[13].weight"}, "layers.7.feed_forward.w3.weight"));
  EXPECT_FALSE(tensor_selected({"*.w[13].weight"}, "layers.7.feed_forward.w2.weight"));
  EXPECT_TRUE(tensor_selected({"layers.?.attention.wq.weight"}, "layers.4.attention.wq.weight"));
  EXPECT_FALSE(tensor_selected({"layers.?.attention.wq.weight"}, "layers.14.attention.wq.weight"));
}

TEST(DiffFlags, DiagnosisFieldsInJson) {
  const Files& f = files();
  auto r = run_ckpt({"diff", "--json", f.a, f.b});
  ASSERT_EQ(r.exit_code, 1);
  json j = json::parse(r.out);
  json wo, w2;
  for (const auto& t : j["tensors"]) {
    if (t["name"] == "layers.0.attention.wo.weight") wo = t["diagnosis"];
    if (t["name"] == "layers.1.feed_forward.w2.weight") w2 = t["diagnosis"];
  }
  EXPECT_EQ(wo["kind"], "tilized");
  EXPECT_EQ(wo["shape"], json({64, 64}));
  EXPECT_EQ(wo["tile"], 32);
  EXPECT_EQ(wo["face"], 16);
  EXPECT_EQ(wo["of_transpose"], false);
  EXPECT_EQ(wo["fingerprint"]["count"], 4096);
  EXPECT_EQ(wo["fingerprint"]["sum"].get<std::string>().size(), 18u);  // "0x" and 16 hex digits
  EXPECT_EQ(w2["kind"], "rounded");
  EXPECT_EQ(w2["precision"], "bf16");
  EXPECT_EQ(w2["rounding"], "nearest_even");
  EXPECT_EQ(w2["side"], "b");
  EXPECT_EQ(w2["accept"], "--ulp 32768");
  EXPECT_FALSE(w2.contains("fingerprint"));
  // The accepting flags accept.
  EXPECT_EQ(run_ckpt({"diff", "--ulp", "32768", "--tensor", "*.w2.weight", f.a, f.b}).exit_code, 0);
}

}  // namespace
}  // namespace ckpt::test
