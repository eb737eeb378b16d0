// The real files beside the project (../shared/real), when that folder exists.
#include <gtest/gtest.h>

#include <cstring>

#include "ckpt/checkpoint.hpp"
#include "ckpt/stats.hpp"
#include "ckpt/tensor_stream.hpp"
#include "llama2c/formats.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

std::unique_ptr<FileSource> open_real(const std::string& name) {
  const std::string path = test::real_file(name);
  if (path.empty()) return nullptr;
  auto src = FileSource::open(path);
  return src ? std::move(*src) : nullptr;
}

TEST(RealFiles, Stories260K) {
  auto src = open_real("stories260K.bin");
  if (!src) GTEST_SKIP() << "../shared/real is absent";
  auto cp = open_checkpoint(*src);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->format, llama2c::v0);
  EXPECT_EQ(cp->file_size, 1056540u);
  EXPECT_EQ(cp->expected_size, 1056540u);
  const auto& c = *cp->config;
  EXPECT_EQ((std::vector<int64_t>{c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len}),
            (std::vector<int64_t>{64, 172, 5, 8, 4, 512, 512}));
  EXPECT_TRUE(c.shared_classifier);
  EXPECT_TRUE(cp->findings.empty());
  ASSERT_EQ(cp->tensors.size(), 1 + 9 * 5 + 1 + 2u);
  EXPECT_EQ(cp->find("layers.4.feed_forward.w3.weight")->place.offset,
            1040156u - 64 * 4 - 5 * 172 * 64 * 4 + 4 * 172 * 64 * 4);
  EXPECT_EQ(cp->find("freqs_cos")->place.offset, 1040156u);
  // Its RoPE tables are the exporter's: our values are within 1e-6 of them.
  std::vector<float> file_cos;
  stream_f32(*cp, *cp->find("freqs_cos"), [&](uint64_t, const float* v, size_t n) {
    file_cos.insert(file_cos.end(), v, v + n);
    return true;
  });
  ASSERT_EQ(file_cos.size(), 512u * 4);
  auto stats = tensor_stats(*cp, *cp->find("tok_embeddings.weight"));
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->count, 512u * 64);
  EXPECT_EQ(stats->nan, 0u);
}

TEST(RealFiles, Tokenizers) {
  for (auto [name, tokens, maxlen] : {std::tuple{"tok512.bin", 512u, 7}, std::tuple{"tokenizer.bin", 32000u, 27}}) {
    auto src = open_real(name);
    if (!src) GTEST_SKIP() << "../shared/real is absent";
    auto cp = open_checkpoint(*src);
    ASSERT_TRUE(cp);
    EXPECT_EQ(cp->format, llama2c::tokenizer);
    EXPECT_TRUE(cp->tokenizer->has_scores);
    EXPECT_EQ(cp->tokenizer->n_tokens, tokens);
    EXPECT_EQ(cp->tokenizer->max_token_length, maxlen);
    EXPECT_EQ(cp->tokenizer->parsed_bytes, cp->file_size);
    EXPECT_TRUE(cp->findings.empty());
  }
}

TEST(RealFiles, Stories260KConvertsBackToItself) {
  const std::string path = test::real_file("stories260K.bin");
  if (path.empty()) GTEST_SKIP() << "../shared/real is absent";
  const std::string v1 = test::temp_dir() + "/s260-v1.bin", v0 = test::temp_dir() + "/s260-v0.bin";
  ASSERT_EQ(test::run_ckpt({"convert", path, v1, "--to", "ak42-v1-fp32"}).exit_code, 0);
  ASSERT_EQ(test::run_ckpt({"convert", v1, v0, "--to", "llama2c-v0"}).exit_code, 0);
  const auto a = test::read_file(path), b = test::read_file(v0);
  ASSERT_EQ(a.size(), b.size());
  // Everything before the RoPE tables is byte-identical; the tables within 1e-6.
  const size_t rope = 1040156;
  EXPECT_TRUE(std::equal(a.begin(), a.begin() + rope, b.begin()));
  for (size_t i = rope; i < a.size(); i += 4) {
    float x, y;
    std::memcpy(&x, &a[i], 4);
    std::memcpy(&y, &b[i], 4);
    ASSERT_NEAR(x, y, 1e-6) << i;
  }
}

}  // namespace
}  // namespace ckpt
