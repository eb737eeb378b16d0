// tt-train msgpack through the CLI and the committed fixtures: inspect (text, JSON,
// --stats, --at), convert both ways, and the Python-exporter (float64) fixture.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ckpt/locate.hpp"
#include "llama2c/formats.hpp"
#include "test_support.hpp"
#include "ttml/ttml.hpp"

namespace ckpt {
namespace {

using namespace ttml;

using nlohmann::json;

// The config of fixtures/ttml/tiny_llama.msgpack: vocabulary 40, padded to 64.
ModelConfig tiny_config() {
  ModelConfig c;
  c.dim = 16;
  c.hidden_dim = 32;
  c.n_layers = 1;
  c.n_heads = 2;
  c.n_kv_heads = 1;
  c.vocab_size = 40;
  c.seq_len = 8;
  return c;
}

std::vector<uint8_t> tiny_bytes() {
  MemorySink sink;
  auto r = ttml::write_llama_msgpack(sink, tiny_config(), test::make_weights(tiny_config()));
  EXPECT_TRUE(r);
  return sink.bytes();
}

json inspect_json(const std::vector<std::string>& args) {
  std::vector<std::string> a{"inspect"};
  a.insert(a.end(), args.begin(), args.end());
  a.push_back("--json");
  auto r = test::run_ckpt(a);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

// Regenerate with CKPT_UPDATE_FIXTURES=1 (then rerun make_python_export.py).
TEST(TtmlFixture, WriterOutputIsTheCommittedFixture) {
  const auto bytes = tiny_bytes();
  const std::string path = test::fixture_path("ttml/tiny_llama.msgpack");
  if (std::getenv("CKPT_UPDATE_FIXTURES")) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), long(bytes.size()));
  }
  EXPECT_TRUE(test::read_file(path) == bytes) << "the writer's output changed; see the comment above";
}

TEST(TtmlFixture, PythonExportedFloat64FileReadsTheSameValues) {
  const std::string cpp = test::fixture_path("ttml/tiny_llama.msgpack");
  const std::string py = test::fixture_path("ttml/tiny_llama_py.msgpack");
  const json a = inspect_json({cpp, "--stats"});
  const json b = inspect_json({py, "--stats"});
  EXPECT_EQ(b["format"], "ttml-msgpack");
  EXPECT_EQ(b["msgpack"]["era"], "2025");
  EXPECT_EQ(b["msgpack"]["llama"], (json{{"dim", 16},
                                         {"hidden_dim", 32},
                                         {"n_layers", 1},
                                         {"vocab_rows", 64},
                                         {"kv_dim", 8},
                                         {"shared_classifier", true}}));
  ASSERT_EQ(a["tensors"].size(), b["tensors"].size());
  for (size_t i = 0; i < a["tensors"].size(); ++i) {
    const json& ta = a["tensors"][i];
    const json* tb = nullptr;
    for (const auto& t : b["tensors"])
      if (t["name"] == ta["name"]) tb = &t;
    ASSERT_NE(tb, nullptr) << ta["name"];
    EXPECT_EQ(ta["shape"], (*tb)["shape"]);
    EXPECT_EQ(ta["alt_name"], (*tb)["alt_name"]);
    EXPECT_EQ(ta["stats"], (*tb)["stats"]) << ta["name"];  // float64 of fp32 values: identical
  }
  // Every data element is float64, and the step counter is metadata.
  for (const auto& k : b["msgpack"]["keys"])
    if (k["type"] == "array") {
      EXPECT_EQ(k["elements"]["float64"], k["count"]) << k["key"];
    }
  ASSERT_EQ(b["metadata"].size(), 1u);
  EXPECT_EQ(b["metadata"][0]["key"], "adamw/steps");
  EXPECT_EQ(b["metadata"][0]["value"], "1234");
  EXPECT_EQ(b["metadata"][0]["variant"], 6);
}

TEST(TtmlCli, InspectTextShowsKeysTensorsAndCanonicalNames) {
  auto r = test::run_ckpt({"inspect", test::fixture_path("ttml/tiny_llama_py.msgpack")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("format      ttml-msgpack"), std::string::npos);
  EXPECT_NE(r.out.find("era 2025"), std::string::npos);
  EXPECT_NE(r.out.find("model llama, prefix \"llama/llama/\""), std::string::npos);
  EXPECT_NE(r.out.find("= layers.0.attention.wk.weight+layers.0.attention.wv.weight"), std::string::npos);
  EXPECT_NE(r.out.find("adamw/steps = 1234 [variant 6, uint"), std::string::npos);
  EXPECT_NE(r.out.find("(1, 1, 64, 16)"), std::string::npos);  // padded vocabulary
}

TEST(TtmlCli, AtNamesTheKeyAndTheElement) {
  const std::string path = test::fixture_path("ttml/tiny_llama_py.msgpack");
  const json j = inspect_json({path});
  const json* emb = nullptr;
  for (const auto& t : j["tensors"])
    if (t["alt_name"] == "tok_embeddings.weight") emb = &t;
  ASSERT_NE(emb, nullptr);
  // float64 elements are 9 bytes: element 17 starts 17*9 bytes after the first.
  const uint64_t first = (*emb)["msgpack"]["elements_offset"];
  const json at = inspect_json({path, "--at", std::to_string(first + 17 * 9 + 4)})["at"];
  EXPECT_EQ(at["kind"], "tensor_data");
  EXPECT_EQ(at["tensor"], "llama/llama/tok_emb/weight");
  EXPECT_EQ(at["part"], "float64");
  EXPECT_EQ(at["element"], 17);
  EXPECT_EQ(at["index"], (std::vector<uint64_t>{0, 0, 1, 1}));
  EXPECT_EQ(at["region_start"], first + 17 * 9);
  EXPECT_EQ(at["region_length"], 9);
  EXPECT_EQ(at["byte_in_region"], 4);
  EXPECT_EQ(at["value"].get<double>(), double(test::weight_value("tok_embeddings.weight", 17)));
  // A byte of a key.
  const uint64_t key_at = j["metadata"][0]["offset"];
  const json k = inspect_json({path, "--at", std::to_string(key_at + 2)})["at"];
  EXPECT_EQ(k["kind"], "msgpack_entry");
  EXPECT_EQ(k["key"], "adamw/steps");
  EXPECT_EQ(k["part"], "key");
  EXPECT_EQ(k["region_start"], key_at);
}

TEST(TtmlCli, TensorAcceptsTheHalvesOfKvLinear) {
  const json j = inspect_json(
      {test::fixture_path("ttml/tiny_llama_py.msgpack"), "--tensor", "layers.0.attention.wv.weight", "--limit", "3"});
  EXPECT_EQ(j["values"]["tensor"], "layers.0.attention.wv.weight");
  EXPECT_EQ(j["values"]["shape"], (std::vector<uint64_t>{8, 16}));  // kvd = 1 head x 8
  ASSERT_EQ(j["values"]["values"].size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(j["values"]["values"][i]["value"].get<double>(),
              double(test::weight_value("layers.0.attention.wv.weight", i)));
}

TEST(TtmlCli, LocateNamesMapHeaderVariantHeaderPayloadAndTrailingBytes) {
  auto bytes = tiny_bytes();
  const uint64_t end = bytes.size();
  bytes.insert(bytes.end(), {0xc0, 0xc0});
  MemorySource src(bytes);
  auto cp = open_checkpoint(src);
  ASSERT_TRUE(cp);
  // 7 keys per tensor x 10 tensors = 70 entries: map16 header, 3 bytes.
  Location l = locate(*cp, 2);
  EXPECT_EQ(l.kind, RegionKind::header_field);
  EXPECT_EQ(l.field, "map header");
  EXPECT_EQ(l.region_length, 3u);
  const TtmlEntry& e = ttml::info_of(*cp)->entries[0];  // the first key in byte order: a has_grads flag
  l = locate(*cp, e.value_offset);
  EXPECT_EQ(l.kind, RegionKind::msgpack_entry);
  EXPECT_EQ(l.field, e.key);
  EXPECT_EQ(l.part, "[variant, payload] header");
  EXPECT_EQ(l.region_start, e.value_offset);
  EXPECT_EQ(l.region_length, 2u);  // 92 00
  l = locate(*cp, e.payload_offset);
  EXPECT_EQ(l.part, "payload (bool)");
  l = locate(*cp, end + 1);
  EXPECT_EQ(l.kind, RegionKind::trailing);
  EXPECT_EQ(l.region_start, end);
  EXPECT_EQ(l.region_length, 2u);
  l = locate(*cp, end + 2);
  EXPECT_EQ(l.kind, RegionKind::past_end);
}

TEST(TtmlCli, ConvertBothWaysThroughTheCli) {
  const ModelConfig c = test::gqa_config();
  const auto v0 = test::write_bytes(llama2c::v0, c);
  const std::string in = test::write_temp("cli_in.bin", v0);
  const std::string tt = test::temp_dir() + "/cli.msgpack";
  const std::string back = test::temp_dir() + "/cli_back.bin";
  auto r = test::run_ckpt({"convert", in, tt, "--to", "ttml-msgpack", "--prefix", "my/llama"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("--n-heads 8 --seq-len 32 --vocab-size 96"), std::string::npos) << r.err;
  const json j = inspect_json({tt});
  EXPECT_EQ(j["format"], "ttml-msgpack");
  EXPECT_EQ(j["msgpack"]["prefix"], "my/llama/");
  // The msgpack file does not store n_heads: refusing to guess.
  r = test::run_ckpt({"convert", tt, back, "--to", "llama2c-v0", "--seq-len", "32"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--n-heads"), std::string::npos) << r.err;
  r = test::run_ckpt(
      {"convert", tt, back, "--to", "llama2c-v0", "--n-heads", "8", "--seq-len", "32", "--vocab-size", "96"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(test::read_file(back) == v0);
  // Also to a Q8_0 layout.
  r = test::run_ckpt({"convert", tt, back + ".q8", "--to", "ak42-v2-q8_0", "--n-heads", "8", "--seq-len", "32"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(inspect_json({back + ".q8"})["config"]["n_kv_heads"], 4);
}

TEST(TtmlCli, PythonExportRewrittenTheCppWayGivesTheWriterBytes) {
  const std::string out = test::temp_dir() + "/normalised.msgpack";
  auto r = test::run_ckpt(
      {"convert", test::fixture_path("ttml/tiny_llama_py.msgpack"), out, "--to", "ttml-msgpack", "--n-heads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("only the model's parameters were written"), std::string::npos) << r.err;  // adamw/steps
  EXPECT_TRUE(test::read_file(out) == test::read_file(test::fixture_path("ttml/tiny_llama.msgpack")));
}

TEST(TtmlCli, BrokenFileGetsFindingsWithOffsets) {
  auto bytes = tiny_bytes();
  bytes.resize(bytes.size() / 2);
  const std::string path = test::write_temp("half.msgpack", bytes);
  const json j = inspect_json({path, "--stats"});
  bool truncated = false;
  for (const auto& f : j["findings"])
    if (f["rule"] == "ttml.truncated") truncated = f["offset"].is_number();
  EXPECT_TRUE(truncated) << j["findings"].dump();
}

}  // namespace
}  // namespace ckpt
