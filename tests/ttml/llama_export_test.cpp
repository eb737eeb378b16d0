// convert --to ttml-msgpack --template: the bytes tt-train's llama_export.py writes (the
// references were made by running the script, see fixtures/ttml-export), with and without
// --meta-style; the vocabulary padding its code intends; a template it cannot use.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "test_support.hpp"

namespace ckpt {
namespace {

std::string src_path(const std::string& rel) { return std::string(CKPT_SOURCE_DIR) + "/fixtures/" + rel; }

test::RunResult export_to(const std::string& out, const std::string& tmpl, bool meta_style) {
  std::filesystem::remove(out);
  std::vector<std::string> args{
      "convert", src_path("torch/hf/f32-safetensors"), out, "--to", "ttml-msgpack", "--template", tmpl};
  if (meta_style) args.push_back("--meta-style");
  return test::run_ckpt(args);
}

TEST(LlamaExport, ByteIdenticalToTheScript) {
  for (bool meta : {false, true}) {
    const std::string out = test::temp_dir() + (meta ? "/meta_style.msgpack" : "/interleaved.msgpack");
    auto r = export_to(out, src_path("ttml-export/template.msgpack"), meta);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(test::read_file(out) ==
                test::read_file(src_path(meta ? "ttml-export/meta_style.msgpack" : "ttml-export/interleaved.msgpack")))
        << (meta ? "--meta-style" : "interleaved");
  }
}

TEST(LlamaExport, InterleavedEqualsTheSourceAndMetaStyleIsTheRotaryPermutation) {
  auto d = test::run_ckpt({"diff", src_path("ttml-export/interleaved.msgpack"), src_path("torch/hf/f32-safetensors")});
  EXPECT_EQ(d.exit_code, 0) << d.out;
  d = test::run_ckpt({"diff", src_path("ttml-export/meta_style.msgpack"), src_path("torch/hf/f32-safetensors")});
  EXPECT_EQ(d.exit_code, 1);
  EXPECT_NE(d.out.find("differs: 4 of 21 tensors differ"), std::string::npos) << d.out;  // wq, wk of 2 layers
  EXPECT_NE(d.out.find("rotary_permutation"), std::string::npos);
}

// A hand-made template: {key: [10, [n float32 zeros]]} for each key given.
std::vector<uint8_t> tiny_template(const std::vector<std::pair<std::string, uint32_t>>& entries) {
  std::vector<uint8_t> b{uint8_t(0x80 | entries.size())};
  for (const auto& [key, n] : entries) {
    b.push_back(0xd9);
    b.push_back(uint8_t(key.size()));
    b.insert(b.end(), key.begin(), key.end());
    b.insert(b.end(), {0x92, 0x0a, 0xdd});
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(n >> s));
    for (uint32_t i = 0; i < n; ++i) b.insert(b.end(), {0xca, 0, 0, 0, 0});
  }
  return b;
}

double be_double(const std::vector<uint8_t>& b, size_t at) {
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = bits << 8 | b[at + size_t(i)];
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

TEST(LlamaExport, VocabularyRowsArePaddedToTheTemplatesWithANote) {
  const std::string key = "llama/llama/tok_emb/weight/value/data";
  const auto tmpl = test::write_temp("pad-template.msgpack", tiny_template({{key, 96 * 32}}));
  const std::string out = test::temp_dir() + "/pad.msgpack";
  auto r = export_to(out, tmpl, false);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(key + ": padded 64 to the template's 96 rows with zeros"), std::string::npos) << r.err;
  const auto b = test::read_file(out);
  // map(1), str8 key, [0x0a, 3072 float64]: the template's array32 becomes Python's
  // smallest form, array16.
  const size_t data = 1 + 2 + key.size() + 2 + 3;
  ASSERT_EQ(b.size(), data + 96 * 32 * 9);
  EXPECT_EQ(b[data - 3], 0xdc);
  auto emb = open_path(src_path("torch/hf/f32-safetensors"));
  ASSERT_TRUE(emb);
  const TensorInfo* t = test::tensor_named(*emb, "model.embed_tokens.weight");
  ASSERT_NE(t, nullptr);
  const auto src = test::read_file(src_path("torch/hf/f32-safetensors/model.safetensors"));
  for (size_t i : {size_t(0), size_t(5), size_t(64 * 32 - 1)}) {
    float f;
    std::memcpy(&f, &src[t->place.offset + 4 * i], 4);
    EXPECT_EQ(b[data + 9 * i], 0xcb);
    EXPECT_EQ(be_double(b, data + 9 * i + 1), double(f)) << i;
  }
  for (size_t i : {size_t(64 * 32), size_t(96 * 32 - 1)}) EXPECT_EQ(be_double(b, data + 9 * i + 1), 0.0) << i;
}

TEST(LlamaExport, TemplatesItCannotUseAreRefusedAndNothingIsWritten) {
  const std::string out = test::temp_dir() + "/bad.msgpack";
  // Not a map.
  auto r = export_to(out, test::write_temp("list.msgpack", {0x91, 0x01}), false);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("template, byte 0: not a msgpack map"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  // A parameter of another size.
  const std::string wq = "llama/llama/llama_block_0/attention/q_linear/weight/value/data";
  r = export_to(out, test::write_temp("size.msgpack", tiny_template({{wq, 1000}})), false);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(wq + ": 1000 values in the template, the model gives 1024"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  // A layer the model does not have.
  r = export_to(
      out,
      test::write_temp("layer.msgpack", tiny_template({{"llama/llama/llama_block_7/mlp/w1/weight/value/data", 4}})),
      false);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the model has no layers.7.feed_forward.w1.weight"), std::string::npos) << r.err;
  // A repeated key.
  r = export_to(out, test::write_temp("repeat.msgpack", tiny_template({{"a", 1}, {"a", 1}})), false);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("key a is repeated"), std::string::npos) << r.err;
  // --meta-style alone.
  std::filesystem::remove(out);
  auto m =
      test::run_ckpt({"convert", src_path("torch/hf/f32-safetensors"), out, "--to", "ttml-msgpack", "--meta-style"});
  EXPECT_EQ(m.exit_code, 2);
  EXPECT_NE(m.err.find("--meta-style goes with --template"), std::string::npos) << m.err;
}

}  // namespace
}  // namespace ckpt
