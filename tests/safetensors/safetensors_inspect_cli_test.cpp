// `ckpt inspect` on safetensors files and Hugging Face folders: header length, data start
// and __metadata__; config.json's main keys, the index and the tensors per shard; --at on
// the length, the JSON entries and tensor elements (FILE:OFFSET in folders). Offsets
// checked against the files with Python's struct/json/numpy.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "ckpt/locate.hpp"
#include "safetensors/safetensors_locate.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

using nlohmann::json;

std::string hf_fixture(const std::string& rel) { return test::fixture_path("torch/hf/" + rel); }

bool has_line(const std::string& out, const std::string& line) {
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

#define EXPECT_LINE(out, line) EXPECT_TRUE(has_line(out, line)) << "missing line: [" << (line) << "]\n" << (out)

std::string at_line(const std::string& file, const std::string& at) {
  auto r = test::run_ckpt({"inspect", file, "--at", at});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);)
    if (l.starts_with("at ")) return l;
  return "";
}

TEST(SafetensorsInspect, FileShowsHeaderAndMetadata) {
  const std::string f = hf_fixture("f32-safetensors/model.safetensors");
  auto r = test::run_ckpt({"inspect", f});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LINE(r.out, "safetensors");
  EXPECT_LINE(r.out, "  header length 2112 (bytes 0..7), JSON bytes 8..2119, data starts at 2120, 21 tensors");
  EXPECT_LINE(r.out, "  __metadata__ (1)");
  EXPECT_LINE(r.out, "    format = pt");
  auto j = test::run_ckpt({"inspect", f, "--json"});
  EXPECT_EQ(json::parse(j.out)["safetensors"], (json{{"files",
                                                      {{{"file", nullptr},
                                                        {"size", 129736},
                                                        {"header_length", 2112},
                                                        {"data_begin", 2120},
                                                        {"tensors", 21},
                                                        {"metadata", {{"format", "pt"}}}}}}}));
}

TEST(SafetensorsInspect, AtNamesLengthJsonEntriesAndElements) {
  const std::string f = hf_fixture("f32-safetensors/model.safetensors");
  EXPECT_EQ(at_line(f, "5"),
            "at byte 5 (0x5): safetensors header: header length (u64 little-endian) (bytes 0..7), byte 5 of it");
  // {"__metadata__":{"format":"pt"},"lm_head.weight":{...},...: the entry spans its key to its value's end.
  EXPECT_EQ(at_line(f, "10"),
            "at byte 10 (0xa): safetensors header: JSON entry \"__metadata__\" (bytes 9..38), byte 1 of it");
  EXPECT_EQ(at_line(f, "100"),
            "at byte 100 (0x64): safetensors header: JSON entry \"lm_head.weight\" (bytes 40..111), byte 60 of it");
  EXPECT_EQ(at_line(f, "8"), "at byte 8 (0x8): safetensors header: JSON (bytes 8..2119), byte 0 of it");  // the '{'
  // numpy: lm_head.weight[0, :2] = [-0.01470947, 0.01953125].
  EXPECT_EQ(at_line(f, "2124"),
            "at byte 2124 (0x84c): lm_head.weight element 1 [0, 1] (f32), byte 0 of it; value 0.0195312");
  EXPECT_EQ(at_line(f, "2121"),
            "at byte 2121 (0x849): lm_head.weight element 0 [0, 0] (f32), byte 1 of it; value -0.0147095");
}

TEST(SafetensorsInspect, ShardedFolderShowsConfigIndexAndShards) {
  const std::string dir = hf_fixture("bf16-safetensors-sharded");
  auto r = test::run_ckpt({"inspect", dir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LINE(r.out, "config.json (main keys: 13 of 13)");
  EXPECT_LINE(r.out, "  architectures = [\"LlamaForCausalLM\"]");
  EXPECT_LINE(r.out, "  num_key_value_heads = 2");
  EXPECT_LINE(r.out, "  torch_dtype = \"bfloat16\"");
  EXPECT_LINE(r.out, "weight files (2), index model.safetensors.index.json");
  EXPECT_LINE(r.out, "  model-00001-of-00002.safetensors             14 tensors");
  EXPECT_LINE(r.out, "  model-00002-of-00002.safetensors              7 tensors");
  EXPECT_LINE(r.out, "safetensors model-00002-of-00002.safetensors");
  EXPECT_LINE(r.out, "  header length 696 (bytes 0..7), JSON bytes 8..703, data starts at 704, 7 tensors");
  EXPECT_EQ(at_line(dir, "model-00002-of-00002.safetensors:704"),
            "at model-00002-of-00002.safetensors byte 704 (0x2c0): lm_head.weight element 0 [0, 0] (bf16), byte 0 of "
            "it; value -0.0147095");
  auto plain = test::run_ckpt({"inspect", dir, "--at", "704"});
  EXPECT_EQ(plain.exit_code, 2);
  auto j = test::run_ckpt({"inspect", dir, "--json"});
  const json s = json::parse(j.out)["safetensors"];
  EXPECT_EQ(s["index"], "model.safetensors.index.json");
  EXPECT_EQ(s["config"]["hidden_size"], 32);
  EXPECT_EQ(s["config"].size(), 13u);
  EXPECT_EQ(s["shards"], (json{{{"file", "model-00001-of-00002.safetensors"}, {"tensors", 14}},
                               {{"file", "model-00002-of-00002.safetensors"}, {"tensors", 7}}}));
  EXPECT_EQ(s["files"][1]["file"], "model-00002-of-00002.safetensors");
  EXPECT_EQ(s["files"][1]["data_begin"], 704);
  EXPECT_EQ(s["torch_files"], json::array());
}

TEST(SafetensorsInspect, BinShardsAreShownAsTorchFiles) {
  const std::string dir = hf_fixture("bf16-bin-sharded");
  auto r = test::run_ckpt({"inspect", dir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LINE(r.out, "weight files (2), index pytorch_model.bin.index.json");
  EXPECT_LINE(r.out, "torch.save zip pytorch_model-00001-of-00002.bin");
  EXPECT_EQ(at_line(dir, "pytorch_model-00001-of-00002.bin:3000"),
            "at pytorch_model-00001-of-00002.bin byte 3000 (0xbb8): model.embed_tokens.weight element 636 [19, 28] "
            "(bf16), byte 0 of it, in pytorch_model-00001-of-00002/data/0; value -0.0429688");
  auto j = test::run_ckpt({"inspect", dir, "--json"});
  const json s = json::parse(j.out)["safetensors"];
  EXPECT_EQ(s["files"], json::array());
  EXPECT_EQ(s["torch_files"].size(), 2u);
  EXPECT_EQ(s["torch_files"][0]["file"], "pytorch_model-00001-of-00002.bin");
  EXPECT_EQ(s["torch_files"][0]["zip"]["archive_folder"], "pytorch_model-00001-of-00002");
}

TEST(SafetensorsInspect, AtTrailingBytesAndHostileOffsets) {
  // A header of one 2-element F32 tensor, then 3 bytes no entry claims.
  const std::string h =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[9,1]}})";
  std::vector<uint8_t> b(8, 0);
  b[0] = uint8_t(h.size());
  b.insert(b.end(), h.begin(), h.end());
  const float v[2] = {1.5f, -2.0f};
  b.insert(b.end(), reinterpret_cast<const uint8_t*>(v), reinterpret_cast<const uint8_t*>(v) + 8);
  b.insert(b.end(), {7, 7, 7});
  auto cp = test::open_bytes(b);
  ASSERT_TRUE(cp.ok());
  const uint64_t data = 8 + h.size();
  Location l = locate(*cp, data + 4);
  EXPECT_EQ(l.kind, RegionKind::tensor_data);
  EXPECT_EQ(l.tensor, "a");
  EXPECT_EQ(l.value, -2.0);
  l = locate(*cp, data + 9);
  EXPECT_EQ(l.kind, RegionKind::trailing);  // "b" has end < begin: a finding, not data
  EXPECT_EQ(l.region_start, data + 8);
  EXPECT_EQ(l.region_length, 3u);
  for (uint64_t o = 0; o < b.size() + 4; ++o) (void)locate(*cp, o);
}

TEST(SafetensorsInspect, JsonEntryScannerSpansKeysToValueEnds) {
  const std::string t = R"({"a": {"x": [1, 2]}, "b" : "s,}" , "c":3})";
  auto at = [&](uint64_t o) { return safetensors::json_entry_at(t, o); };
  EXPECT_EQ(at(1)->key, "a");
  EXPECT_EQ(at(1)->begin, 1u);
  EXPECT_EQ(at(1)->end, 19u);   // through the '}' of a's value
  EXPECT_FALSE(at(19));         // the comma
  EXPECT_EQ(at(27)->key, "b");  // inside "s,}": punctuation in a string does not end it
  EXPECT_EQ(at(27)->end, 32u);
  EXPECT_EQ(at(37)->key, "c");
  EXPECT_EQ(at(37)->end, 40u);
  EXPECT_FALSE(at(0));
  EXPECT_FALSE(safetensors::json_entry_at("[1]", 1));
}

}  // namespace
}  // namespace ckpt
