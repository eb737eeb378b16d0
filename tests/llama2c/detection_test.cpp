// Format detection: how each layout is recognised, and what happens when none fits.
#include <gtest/gtest.h>

#include "ckpt/le.hpp"
#include "fixture_set.hpp"
#include "llama2c/formats.hpp"
#include "llama2c/layout.hpp"
#include "llama2c/reader.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

using test::gqa_config;
using test::open_bytes;
using test::write_bytes;

TEST(Detect, V1DecidedByGroupSizeFieldAndSize) {
  auto fp32 = open_bytes(write_bytes(llama2c::ak42_v1_fp32, gqa_config()));
  ASSERT_TRUE(fp32);
  EXPECT_EQ(fp32->format, llama2c::ak42_v1_fp32);
  EXPECT_NE(fp32->detection.find("group_size field 0"), std::string::npos);
  auto q8 = open_bytes(write_bytes(llama2c::ak42_v1_q8_0, gqa_config()));
  EXPECT_EQ(q8->format, llama2c::ak42_v1_q8_0);
  EXPECT_EQ(q8->config->group_size, 64);
}

TEST(Detect, V1SizeOverrulesAStrayGroupSizeField) {
  // An fp32 v1 file with garbage in the padding where Q8_0 keeps its group size.
  auto b = write_bytes(llama2c::ak42_v1_fp32, gqa_config());
  test::put_i32(b, 37, 64);
  auto cp = open_bytes(b);
  EXPECT_EQ(cp->format, llama2c::ak42_v1_fp32);
  EXPECT_NE(cp->detection.find("only the ak42-v1-fp32 size fits"), std::string::npos) << cp->detection;
}

TEST(Detect, V2OrderDecidedByPlausibility) {
  for (auto f : {llama2c::ak42_v2_q8_0, llama2c::ak42_v2_q8_0_scales_last}) {
    for (auto c : {test::gqa_config(), test::untied_config()}) {
      auto cp = open_bytes(write_bytes(f, c));
      ASSERT_TRUE(cp);
      EXPECT_EQ(cp->format, f);
      ASSERT_TRUE(cp->data_as<llama2c::Llama2cData>()->q8_order);
      EXPECT_EQ(cp->data_as<llama2c::Llama2cData>()->q8_order->interleaved_fits, f == llama2c::ak42_v2_q8_0);
      EXPECT_EQ(cp->data_as<llama2c::Llama2cData>()->q8_order->scales_last_fits,
                f == llama2c::ak42_v2_q8_0_scales_last);
      ASSERT_FALSE(cp->findings.empty());
      EXPECT_EQ(cp->findings[0].rule, "layout.q8_order");
      EXPECT_EQ(cp->findings[0].severity, Severity::info);
    }
  }
}

TEST(Detect, V2WithNeitherOrderPlausibleIsAnError) {
  auto b = write_bytes(llama2c::ak42_v2_q8_0, gqa_config());
  // Negative values in both candidate scale regions.
  auto cp0 = open_bytes(b);
  const auto* emb = cp0->find("tok_embeddings.weight");
  test::put_f32(b, emb->place.scale_offset, -1.0f);
  auto last = llama2c::build_layout(llama2c::ak42_v2_q8_0_scales_last, *cp0->config);
  test::put_f32(b, last->places[5].scale_offset, -1.0f);
  auto cp = open_bytes(b);
  EXPECT_EQ(cp->format, llama2c::ak42_v2_q8_0);
  EXPECT_FALSE(cp->data_as<llama2c::Llama2cData>()->q8_order->interleaved_fits);
  EXPECT_FALSE(cp->data_as<llama2c::Llama2cData>()->q8_order->scales_last_fits);
  ASSERT_FALSE(cp->findings.empty());
  EXPECT_EQ(cp->findings[0].rule, "layout.q8_order");
  EXPECT_EQ(cp->findings[0].severity, Severity::error);
}

TEST(Detect, UnknownAk42VersionIsReportedNotGuessed) {
  auto b = write_bytes(llama2c::ak42_v2_q8_0, gqa_config());
  test::put_i32(b, 4, 3);
  auto cp = open_bytes(b);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->format, Format::unknown);
  EXPECT_TRUE(cp->tensors.empty());
  ASSERT_EQ(cp->findings.size(), 1u);
  EXPECT_EQ(cp->findings[0].rule, "header.version");
  EXPECT_EQ(cp->findings[0].offset, 4u);
  EXPECT_EQ(cp->header[1].name, "version");
  EXPECT_EQ(cp->header[1].value, 3);
}

TEST(Detect, TokenizerVariants) {
  auto with = open_bytes(fixtures::tokenizer_with_scores(96));
  ASSERT_TRUE(with);
  EXPECT_EQ(with->format, llama2c::tokenizer);
  EXPECT_TRUE(with->tokenizer->has_scores);
  EXPECT_EQ(with->tokenizer->n_tokens, 96u);
  EXPECT_EQ(with->tokenizer->max_token_length, 5);
  auto old = open_bytes(fixtures::tokenizer_lengths_only(96));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->format, llama2c::tokenizer);
  EXPECT_FALSE(old->tokenizer->has_scores);
  EXPECT_EQ(old->tokenizer->n_tokens, 96u);
}

TEST(Detect, TruncatedV0IsStillV0) {
  auto b = write_bytes(llama2c::v0, gqa_config());
  b.resize(b.size() / 2);
  auto cp = open_bytes(b);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->format, llama2c::v0);
  EXPECT_NE(cp->detection.find("7 of 7"), std::string::npos);
}

TEST(Detect, V0WithOneHostileFieldIsStillV0) {
  auto b = write_bytes(llama2c::v0, gqa_config());
  test::put_i32(b, 12, 0);  // n_heads = 0
  auto cp = open_bytes(b);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->format, llama2c::v0);
  EXPECT_TRUE(cp->tensors.empty());
  ASSERT_FALSE(cp->findings.empty());
  EXPECT_EQ(cp->findings[0].rule, "header.value");
}

TEST(Detect, EmptyTinyAndRandomFilesFitNoFormat) {
  EXPECT_EQ(open_bytes({}).error().code, ErrorCode::detect_empty);
  EXPECT_EQ(open_bytes({1, 2, 3}).error().code, ErrorCode::detect_unknown);
  std::vector<uint8_t> random(4096);
  uint32_t x = 12345;
  for (auto& byte : random) byte = uint8_t((x = x * 1664525u + 1013904223u) >> 24);
  auto r = open_bytes(random);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::detect_unknown);
  // ak42 magic and nothing else.
  EXPECT_EQ(open_bytes({0x32, 0x34, 0x6b, 0x61}).error().code, ErrorCode::detect_truncated);
}

TEST(Detect, ForcedFormatSkipsDetection) {
  auto b = write_bytes(llama2c::ak42_v2_q8_0, gqa_config());
  OpenOptions opt;
  opt.forced_format = llama2c::ak42_v2_q8_0_scales_last;
  auto cp = open_bytes(b, opt);
  EXPECT_EQ(cp->format, llama2c::ak42_v2_q8_0_scales_last);
  EXPECT_NE(cp->detection.find("forced"), std::string::npos);
}

TEST(Detect, OpeningReadsAConstantNumberOfBytes) {
  // v0 and v1 read the header; v2 also reads its bounded plausibility samples. Doubling
  // the file must not change what is read.
  for (auto f : {llama2c::v0, llama2c::ak42_v1_fp32, llama2c::ak42_v1_q8_0, llama2c::ak42_v2_q8_0}) {
    uint64_t read[2];
    for (int k = 0; k < 2; ++k) {
      ModelConfig c = gqa_config();
      c.vocab_size = 4096 << k;
      auto bytes = write_bytes(f, c);
      MemorySource src(bytes);
      auto cp = open_checkpoint(src);
      ASSERT_TRUE(cp);
      EXPECT_EQ(cp->format, f);
      read[k] = src.bytes_read();
    }
    EXPECT_EQ(read[0], read[1]) << format_name(f);
    EXPECT_LE(read[0], f == llama2c::ak42_v2_q8_0 ? 3u * 256 + 2 * 16384 + 41 : 1024u) << format_name(f);
  }
}

}  // namespace
}  // namespace ckpt
