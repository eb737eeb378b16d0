// `ckpt inspect` end to end: JSON parsed back, --at, --stats, --tensor, exit codes,
// and a golden text rendering (CKPT_UPDATE_GOLDEN=1 rewrites the golden files).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace ckpt {
namespace {

using nlohmann::json;
using test::fixture_path;
using test::run_ckpt;

json inspect_json(const std::vector<std::string>& args) {
  auto r = run_ckpt(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

TEST(InspectCli, JsonHasTheDocumentedFields) {
  auto j = inspect_json({"inspect", "--json", fixture_path("untied-ak42-v2-q8_0.bin")});
  EXPECT_EQ(j["schema"], "ckpt.inspect/1");
  EXPECT_EQ(j["format"], "ak42-v2-q8_0");
  EXPECT_EQ(j["file_size"], 78016);
  EXPECT_EQ(j["expected_size"], 78016);
  const auto& c = j["config"];
  EXPECT_EQ(c["dim"], 48);
  EXPECT_EQ(c["hidden_dim"], 128);
  EXPECT_EQ(c["n_layers"], 2);
  EXPECT_EQ(c["n_heads"], 6);
  EXPECT_EQ(c["n_kv_heads"], 6);
  EXPECT_EQ(c["vocab_size"], 64);
  EXPECT_EQ(c["seq_len"], 16);
  EXPECT_EQ(c["shared_classifier"], false);
  EXPECT_EQ(c["group_size"], 16);
  // norms (5 fp32), embedding, 7 x 2 matrices, classifier
  ASSERT_EQ(j["tensors"].size(), 5u + 1 + 14 + 1);
  const auto& emb = j["tensors"][5];
  EXPECT_EQ(emb["name"], "tok_embeddings.weight");
  EXPECT_EQ(emb["dtype"], "q8_0");
  EXPECT_EQ(emb["shape"], json::array({64, 48}));
  EXPECT_EQ(emb["offset"], 256 + 4 * (2 * 2 * 48 + 48));
  EXPECT_EQ(emb["nbytes"], 64 * 48);
  EXPECT_EQ(emb["scale_offset"], 256 + 4 * (2 * 2 * 48 + 48) + 64 * 48);
  EXPECT_EQ(emb["scale_nbytes"], 64 * 48 / 16 * 4);
  EXPECT_EQ(emb["status"], "complete");
  EXPECT_EQ(j["tensors"][0]["dtype"], "f32");
  EXPECT_FALSE(j["tensors"][0].contains("scale_offset"));
  EXPECT_EQ(j["tensors"].back()["name"], "output.weight");
  EXPECT_EQ(j["q8_order"]["interleaved_fits"], true);
  EXPECT_EQ(j["config"]["group_size"], 16);
  auto v0 = inspect_json({"inspect", "--json", fixture_path("gqa-llama2c-v0.bin")});
  EXPECT_TRUE(v0["config"]["group_size"].is_null());
}

TEST(InspectCli, StatsMatchAnIndependentComputation) {
  auto j = inspect_json({"inspect", "--json", "--stats", fixture_path("gqa-llama2c-v0.bin")});
  const auto w = test::make_weights(test::gqa_config());
  for (const auto& t : j["tensors"]) {
    const std::string name = t["name"];
    auto it = w.tensors.find(name);
    if (it == w.tensors.end()) continue;
    double sum = 0, mn = 1e30, mx = -1e30;
    for (float v : it->second) {
      sum += v;
      mn = std::min(mn, double(v));
      mx = std::max(mx, double(v));
    }
    const double mean = sum / double(it->second.size());
    double var = 0;
    for (float v : it->second) var += (v - mean) * (v - mean);
    const auto& s = t["stats"];
    EXPECT_EQ(s["count"], it->second.size()) << name;
    EXPECT_EQ(s["min"].get<double>(), mn) << name;
    EXPECT_EQ(s["max"].get<double>(), mx) << name;
    EXPECT_NEAR(s["mean"].get<double>(), mean, 1e-12) << name;
    EXPECT_NEAR(s["std"].get<double>(), std::sqrt(var / double(it->second.size())), 1e-12) << name;
    EXPECT_EQ(s["nan"], 0);
  }
}

TEST(InspectCli, Q8StatsHaveInt8AndScaleRanges) {
  auto j = inspect_json({"inspect", "--json", "--stats", fixture_path("gqa-ak42-v2-q8_0.bin")});
  const auto& s = j["tensors"][5]["stats"];
  EXPECT_EQ(s["int8_max"], 127);
  EXPECT_GE(s["int8_min"].get<int>(), -127);
  EXPECT_GT(s["scale_min"].get<double>(), 0);
  EXPECT_LE(s["scale_max"].get<double>(), 0.125 / 127 * 1.0001);
}

TEST(InspectCli, StatsCountNanInfAndZeros) {
  auto b = test::read_file(fixture_path("gqa-ak42-v1-fp32.bin"));
  test::put_f32(b, 256, NAN);
  test::put_f32(b, 260, INFINITY);
  test::put_f32(b, 264, 0.0f);
  auto path = test::write_temp("nan.bin", b);
  auto j = inspect_json({"inspect", "--json", "--stats", path});
  const auto& s = j["tensors"][0]["stats"];
  EXPECT_EQ(j["tensors"][0]["name"], "layers.0.attention_norm.weight");
  EXPECT_EQ(s["nan"], 1);
  EXPECT_EQ(s["inf"], 1);
  EXPECT_EQ(s["zeros"], 1);
  EXPECT_EQ(s["count"], 64);
}

TEST(InspectCli, AtNamesHeaderFieldTensorElementAndScale) {
  const auto f = fixture_path("gqa-ak42-v2-q8_0.bin");
  auto at = [&](const std::string& off) { return inspect_json({"inspect", "--json", "--at", off, f})["at"]; };
  auto h = at("37");
  EXPECT_EQ(h["kind"], "header_field");
  EXPECT_EQ(h["field"], "group_size");
  EXPECT_EQ(at("100")["kind"], "header_padding");
  // layers.0.attention_norm: element 3, byte 2 of it.
  auto n = at(std::to_string(256 + 3 * 4 + 2));
  EXPECT_EQ(n["tensor"], "layers.0.attention_norm.weight");
  EXPECT_EQ(n["element"], 3);
  EXPECT_EQ(n["part"], "f32");
  EXPECT_EQ(n["byte_in_region"], 2);
  // tok_embeddings int8 element 130 = row 2, column 2, group 2.
  const uint64_t emb = 256 + 4 * (2 * 2 * 64 + 64);
  auto e = at("0x" + [&] {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%llx", (unsigned long long)(emb + 130));
    return std::string(buf);
  }());
  EXPECT_EQ(e["tensor"], "tok_embeddings.weight");
  EXPECT_EQ(e["part"], "int8");
  EXPECT_EQ(e["element"], 130);
  EXPECT_EQ(e["index"], json::array({2, 2}));
  EXPECT_EQ(e["group"], 2);
  // Its scales follow: scale of group 5 covers elements 320..383 = row 5.
  auto s = at(std::to_string(emb + 96 * 64 + 5 * 4 + 1));
  EXPECT_EQ(s["part"], "scale");
  EXPECT_EQ(s["group"], 5);
  EXPECT_EQ(s["element"], 320);
  EXPECT_EQ(s["index"], json::array({5, 0}));
  EXPECT_GT(s["value"].get<double>(), 0);
  EXPECT_EQ(at("104352")["kind"], "past_end");
}

TEST(InspectCli, AtOnTrailingBytesAndBadOffsets) {
  auto b = test::read_file(fixture_path("gqa-llama2c-v0.bin"));
  const size_t size = b.size();
  b.resize(size + 8, 1);
  auto path = test::write_temp("trailing.bin", b);
  auto j = inspect_json({"inspect", "--json", "--at", std::to_string(size + 3), path});
  EXPECT_EQ(j["at"]["kind"], "trailing");
  EXPECT_EQ(j["trailing_bytes"], 8);
  auto bad = run_ckpt({"inspect", "--at", "12x", path});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("not a byte offset"), std::string::npos);
}

TEST(InspectCli, TensorValuesWithIndices) {
  auto j = inspect_json({"inspect", "--json", "--tensor", "layers.1.attention.wk.weight", "--limit", "70",
                         fixture_path("gqa-ak42-v1-fp32.bin")});
  const auto& v = j["values"];
  EXPECT_EQ(v["tensor"], "layers.1.attention.wk.weight");
  ASSERT_EQ(v["values"].size(), 70u);
  EXPECT_EQ(v["values"][65]["index"], json::array({1, 1}));
  EXPECT_EQ(v["values"][65]["value"].get<double>(), test::weight_value("layers.1.attention.wk.weight", 65));
  auto missing = run_ckpt({"inspect", "--tensor", "nope", fixture_path("gqa-ak42-v1-fp32.bin")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no tensor named nope"), std::string::npos);
}

TEST(InspectCli, BrokenFilesExitZeroUnknownOnesExitTwo) {
  auto b = test::read_file(fixture_path("gqa-llama2c-v0.bin"));
  b.resize(1000);
  auto r = run_ckpt({"inspect", test::write_temp("cut.bin", b)});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("size.truncated"), std::string::npos);
  auto missing = run_ckpt({"inspect", "/nonexistent/file.bin"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/nonexistent/file.bin"), std::string::npos);
  auto junk = run_ckpt({"inspect", test::write_temp("junk.bin", std::vector<uint8_t>(100, 0xff))});
  EXPECT_EQ(junk.exit_code, 2);
  EXPECT_NE(junk.err.find("no known format fits"), std::string::npos);
  auto unknown_version = test::read_file(fixture_path("gqa-ak42-v1-fp32.bin"));
  test::put_i32(unknown_version, 4, 7);
  auto v7 = run_ckpt({"inspect", test::write_temp("v7.bin", unknown_version)});
  EXPECT_EQ(v7.exit_code, 2);
  EXPECT_NE(v7.out.find("ak42 version 7 is unknown"), std::string::npos);
  EXPECT_EQ(run_ckpt({"inspect", "--format", "nope", fixture_path("gqa-llama2c-v0.bin")}).exit_code, 2);
  EXPECT_EQ(run_ckpt({"inspect"}).exit_code, 2);
}

// Golden text output: catches any unintended change to what users read.
TEST(InspectCli, GoldenText) {
  for (const std::string name : {"gqa-ak42-v2-q8_0.bin", "untied-llama2c-v0.bin", "tok96.bin"}) {
    auto r = run_ckpt({"inspect", fixture_path(name)});
    ASSERT_EQ(r.exit_code, 0);
    std::string out = r.out;
    const std::string prefix = std::string(CKPT_SOURCE_DIR) + "/";
    for (size_t p; (p = out.find(prefix)) != std::string::npos;) out.replace(p, prefix.size(), "");
    const std::string golden = std::string(CKPT_SOURCE_DIR) + "/tests/golden/inspect-" + name + ".txt";
    if (std::getenv("CKPT_UPDATE_GOLDEN")) {
      std::ofstream(golden) << out;
      continue;
    }
    std::ifstream in(golden);
    ASSERT_TRUE(in) << "missing " << golden << " (run with CKPT_UPDATE_GOLDEN=1)";
    std::string expected((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(out, expected) << name;
  }
}

}  // namespace
}  // namespace ckpt
