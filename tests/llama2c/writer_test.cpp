// The reference writer: Q8_0 bit-exact with export.py's arithmetic, header bytes as the
// exporters write them, values that stream back unchanged, conversions that round-trip.
#include "llama2c/writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "ckpt/convert.hpp"
#include "ckpt/le.hpp"
#include "ckpt/quant.hpp"
#include "ckpt/rope.hpp"
#include "ckpt/tensor_stream.hpp"
#include "llama2c/formats.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

using test::open_bytes;
using test::write_bytes;

TEST(Quant, RoundsHalfToEvenInFp32) {
  // max|w| = 127 makes the scale exactly 1, so w/scale is w itself.
  float w[8] = {127.0f, 2.5f, 3.5f, -2.5f, -3.5f, 0.5f, 1.5f, -126.49f};
  int8_t q[8];
  float s;
  quantize_q8_0(w, 1, 8, q, &s);
  EXPECT_EQ(s, 1.0f);
  EXPECT_EQ(std::vector<int>(q, q + 8), (std::vector<int>{127, 2, 4, -2, -4, 0, 2, -126}));
}

TEST(Quant, ScaleIsMaxAbsOver127AndZeroGroupsAreZero) {
  float w[4] = {0.1f, -0.7f, 0.3f, 0.0f}, zero[4] = {0, 0, 0, 0};
  int8_t q[4];
  float s;
  quantize_q8_0(w, 1, 4, q, &s);
  EXPECT_EQ(s, 0.7f / 127.0f);
  EXPECT_EQ(q[1], -127);
  EXPECT_EQ(q[0], int8_t(std::nearbyintf(0.1f / s)));
  quantize_q8_0(zero, 1, 4, q, &s);
  EXPECT_EQ(s, 0.0f);
  EXPECT_EQ(std::vector<int>(q, q + 4), (std::vector<int>{0, 0, 0, 0}));
  float back[4];
  dequantize_q8_0(q, &s, 1, 4, back);
  EXPECT_EQ(back[0], 0.0f);
}

TEST(Quant, VectorPathGivesTheScalarPathsBytes) {
  // Random weights with zero, NaN and Inf groups and exact half-way quotients, at the
  // group sizes exporters use: the AVX2 path (when the CPU has it) must match bit for bit.
  for (size_t gs : {8, 16, 32, 64, 128}) {
    const size_t groups = 257;
    std::vector<float> w(groups * gs);
    uint32_t x = 12345;
    for (auto& v : w) {
      x = x * 1664525u + 1013904223u;
      v = float(int32_t(x >> 8) - (1 << 23)) / float(1 << 23) * 0.05f;
    }
    std::fill(w.begin() + 3 * long(gs), w.begin() + 4 * long(gs), 0.0f);  // an all-zero group
    w[5 * gs + 1] = NAN;
    w[7 * gs + 2] = -INFINITY;
    for (size_t i = 0; i < gs; ++i) w[9 * gs + i] = float(int(i) - 63) + 0.5f;  // half-way quotients
    w[9 * gs] = 127.0f;
    std::vector<int8_t> qa(w.size()), qb(w.size());
    std::vector<float> sa(groups), sb(groups);
    const float ea = quantize_q8_0(w.data(), groups, gs, qa.data(), sa.data());
    const float eb = quantize_q8_0_scalar(w.data(), groups, gs, qb.data(), sb.data());
    EXPECT_EQ(qa, qb) << gs;
    EXPECT_EQ(std::memcmp(sa.data(), sb.data(), groups * 4), 0) << gs;  // NaN scales compare by bits
    EXPECT_EQ(ea, eb) << gs;
  }
}

TEST(Quant, NonFiniteGroupsPropagateNaNAndStoreZeros) {
  // torch: abs().max() is NaN when the group holds a NaN, so the scale is NaN; no int8
  // value exists for NaN/Inf quotients and x86 PyTorch stores 0 (here: no undefined cast).
  float w[4] = {0.5f, NAN, -0.25f, 1.0f}, inf[4] = {0.5f, INFINITY, -0.25f, 1.0f};
  int8_t q[4];
  float s;
  quantize_q8_0(w, 1, 4, q, &s);
  EXPECT_TRUE(std::isnan(s));
  EXPECT_EQ(std::vector<int>(q, q + 4), (std::vector<int>{0, 0, 0, 0}));
  quantize_q8_0(inf, 1, 4, q, &s);
  EXPECT_TRUE(std::isinf(s));
  EXPECT_EQ(std::vector<int>(q, q + 4), (std::vector<int>{0, 0, 0, 0}));
}

TEST(Writer, Ak42HeaderBytes) {
  ModelConfig c = test::untied_config();
  c.group_size = 16;
  auto h = llama2c::header_bytes(llama2c::ak42_v2_q8_0, c);
  ASSERT_EQ(h.size(), 256u);
  EXPECT_EQ((std::vector<uint8_t>(h.begin(), h.begin() + 4)), (std::vector<uint8_t>{0x32, 0x34, 0x6b, 0x61}));
  EXPECT_EQ(load_i32(&h[4]), 2);
  EXPECT_EQ(load_i32(&h[8]), 48);
  EXPECT_EQ(load_i32(&h[28]), 64);  // vocab stays positive in ak42
  EXPECT_EQ(h[36], 0);              // untied
  EXPECT_EQ(load_i32(&h[37]), 16);  // unaligned group size
  for (size_t i = 41; i < 256; ++i) ASSERT_EQ(h[i], 0) << i;
  // The v1 draft always claims a shared classifier; fp32 v1 has no group size.
  EXPECT_EQ(llama2c::header_bytes(llama2c::ak42_v1_q8_0, c)[36], 1);
  EXPECT_EQ(load_i32(&llama2c::header_bytes(llama2c::ak42_v1_fp32, c)[37]), 0);
  EXPECT_EQ(load_i32(&llama2c::header_bytes(llama2c::ak42_v1_fp32, c)[4]), 1);
}

TEST(Writer, V0StoresTheClassifierFlagAsTheVocabSign) {
  auto untied = write_bytes(llama2c::v0, test::untied_config());
  EXPECT_EQ(load_i32(&untied[20]), -64);
  auto tied = write_bytes(llama2c::v0, test::gqa_config());
  EXPECT_EQ(load_i32(&tied[20]), 96);
  auto cp = open_bytes(untied);
  EXPECT_FALSE(cp->config->shared_classifier);
  EXPECT_EQ(cp->tensors.back().spec.name, "output.weight");
  EXPECT_EQ(cp->tensors.back().place.offset + cp->tensors.back().place.nbytes, untied.size());
}

TEST(Writer, RopeTablesFollowTheFormula) {
  auto b = write_bytes(llama2c::v0, test::gqa_config());
  auto cp = open_bytes(b);
  const auto* cosr = cp->find("freqs_cos");
  const auto* sinr = cp->find("freqs_sin");
  const int64_t hs = 8;
  for (int64_t p = 0; p < 32; ++p)
    for (int64_t j = 0; j < hs / 2; ++j) {
      const double angle = double(p) * std::pow(10000.0, -2.0 * double(j) / double(hs));
      EXPECT_NEAR(load_f32(&b[cosr->place.offset + 4 * (p * hs / 2 + j)]), std::cos(angle), 2e-6);
      EXPECT_NEAR(load_f32(&b[sinr->place.offset + 4 * (p * hs / 2 + j)]), std::sin(angle), 2e-6);
    }
}

TEST(Stream, Fp32ValuesComeBackExactlyInEveryFp32Layout) {
  const auto c = test::untied_config();
  const auto w = test::make_weights(c);
  for (auto f : {llama2c::v0, llama2c::ak42_v1_fp32}) {
    auto bytes = write_bytes(f, c, w);
    MemorySource src(bytes);
    auto cp = open_checkpoint(src);
    for (const auto& [name, values] : w.tensors) {
      const TensorInfo* t = cp->find(name);
      ASSERT_NE(t, nullptr) << name;
      std::vector<float> got;
      auto n = stream_f32(
          *cp, *t,
          [&](uint64_t first, const float* v, size_t k) {
            EXPECT_EQ(first, got.size());
            got.insert(got.end(), v, v + k);
            return true;
          },
          100);  // small chunks: exercise the chunk boundaries
      ASSERT_TRUE(n);
      EXPECT_EQ(got, values) << name << " in " << format_name(f);
    }
  }
}

TEST(Stream, Q8ValuesAreWithinHalfAStepOfTheOriginal) {
  const auto c = test::gqa_config();
  const auto w = test::make_weights(c);
  for (auto f : {llama2c::ak42_v1_q8_0, llama2c::ak42_v2_q8_0, llama2c::ak42_v2_q8_0_scales_last}) {
    auto bytes = write_bytes(f, c, w);
    MemorySource src(bytes);
    auto cp = open_checkpoint(src);
    const TensorInfo* t = cp->find("layers.1.feed_forward.w2.weight");
    const auto& orig = w.tensors.at("layers.1.feed_forward.w2.weight");
    std::vector<float> scales;
    stream_q8(*cp, *t, [&](const Q8Chunk& ch) {
      scales.insert(scales.end(), ch.scales, ch.scales + ch.n_groups);
      return true;
    });
    ASSERT_EQ(scales.size(), orig.size() / 64);
    uint64_t seen = 0;
    stream_f32(*cp, *t, [&](uint64_t first, const float* v, size_t k) {
      for (size_t i = 0; i < k; ++i) {
        const float step = scales[(first + i) / 64];
        EXPECT_LE(std::fabs(v[i] - orig[first + i]), step / 2 * 1.0001f);
      }
      seen += k;
      return true;
    });
    EXPECT_EQ(seen, orig.size());
  }
}

TEST(Convert, Fp32LayoutsRoundTripByteForByte) {
  for (auto c : {test::gqa_config(), test::untied_config()}) {
    const auto v0 = write_bytes(llama2c::v0, c);
    MemorySource src(v0);
    auto cp = open_checkpoint(src);
    ConvertOptions opt;
    opt.to = llama2c::ak42_v1_fp32;
    auto plan = plan_conversion(*cp, opt);
    ASSERT_TRUE(plan);
    MemorySink v1;
    ASSERT_TRUE(llama2c::write_llama2c(v1, llama2c::ak42_v1_fp32, plan->config, CheckpointWeights(*cp)));
    EXPECT_EQ(v1.bytes(), write_bytes(llama2c::ak42_v1_fp32, c));
    MemorySource src1(v1.bytes());
    auto cp1 = open_checkpoint(src1);
    opt.to = llama2c::v0;
    auto plan0 = plan_conversion(*cp1, opt);
    MemorySink back;
    ASSERT_TRUE(llama2c::write_llama2c(back, llama2c::v0, plan0->config, CheckpointWeights(*cp1)));
    EXPECT_EQ(back.bytes(), v0);
  }
}

TEST(Convert, Q8ToQ8WithTheSameGroupSizeCopiesBits) {
  const auto inter = write_bytes(llama2c::ak42_v2_q8_0, test::untied_config());
  MemorySource src(inter);
  auto cp = open_checkpoint(src);
  ConvertOptions opt;
  opt.to = llama2c::ak42_v2_q8_0_scales_last;
  auto plan = plan_conversion(*cp, opt);
  ASSERT_TRUE(plan);
  MemorySink out;
  auto stats = llama2c::write_llama2c(out, opt.to, plan->config, CheckpointWeights(*cp));
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->copied_q8, 2u * 7 + 2);  // 7 matrices per layer, embedding, classifier
  EXPECT_EQ(out.bytes(), write_bytes(llama2c::ak42_v2_q8_0_scales_last, test::untied_config()));
}

TEST(Convert, LossyConversionsRefuseUnlessAllowed) {
  const auto untied = write_bytes(llama2c::v0, test::untied_config());
  auto cp = open_bytes(untied);
  ConvertOptions opt;
  opt.to = llama2c::ak42_v1_q8_0;
  auto refused = plan_conversion(*cp, opt);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::convert_lossy);
  opt.allow_lossy = true;
  auto plan = plan_conversion(*cp, opt);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->config.shared_classifier);
  EXPECT_EQ(plan->config.group_size, 16);  // 48 % 64 and 48 % 32 != 0: back-off to 16

  auto q8 = open_bytes(write_bytes(llama2c::ak42_v2_q8_0, test::gqa_config()));
  ConvertOptions regroup;
  regroup.to = llama2c::ak42_v2_q8_0;
  regroup.group_size = 32;
  EXPECT_EQ(plan_conversion(*q8, regroup).error().code, ErrorCode::convert_lossy);
  ConvertOptions to_fp32;
  to_fp32.to = llama2c::ak42_v1_fp32;
  auto deq = plan_conversion(*q8, to_fp32);
  ASSERT_TRUE(deq);  // allowed, with a note
  ASSERT_EQ(deq->notes.size(), 1u);
  EXPECT_NE(deq->notes[0].find("dequantized"), std::string::npos);
}

TEST(Convert, BrokenInputIsRefusedWithTheTensor) {
  auto b = write_bytes(llama2c::ak42_v1_fp32, test::gqa_config());
  b.resize(b.size() - 10);
  auto cp = open_bytes(b);
  ConvertOptions opt;
  opt.to = llama2c::v0;
  auto r = plan_conversion(*cp, opt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::convert_input);
  EXPECT_NE(r.error().message.find("layers.1.feed_forward.w3.weight is truncated"), std::string::npos);
}

// A corrupt seq_len must not make convert write tens of GB of RoPE tables: gqa_config
// has 4 rotary pairs per head, so v0's two tables take 32 bytes per position, and the
// limit is max(weights, 64 MiB) = 64 MiB = 2^21 positions.
TEST(Convert, RopeTablesBeyondWeightsAnd64MiBAreRefused) {
  for (const int64_t seq_len : {int64_t(1) << 21, (int64_t(1) << 21) + 1, int64_t(1) << 30}) {
    ModelConfig c = test::gqa_config();
    c.seq_len = seq_len;
    auto cp = open_bytes(write_bytes(llama2c::ak42_v1_fp32, c));
    ASSERT_TRUE(cp);
    ConvertOptions opt;
    opt.to = llama2c::v0;
    auto r = plan_conversion(*cp, opt);
    if (seq_len == int64_t(1) << 21) {
      EXPECT_TRUE(r) << r.error().message;
      continue;
    }
    ASSERT_FALSE(r) << seq_len;
    EXPECT_EQ(r.error().code, ErrorCode::convert_rope_size);
    EXPECT_EQ(r.error().message, "seq_len " + std::to_string(seq_len) + " would make v0's RoPE tables " +
                                     std::to_string(uint64_t(seq_len) * 32) +
                                     " bytes, more than the weights (388352 bytes) and 64 MiB: the seq_len is "
                                     "likely corrupt");
    // Layouts without RoPE tables carry the same header and are written.
    opt.to = llama2c::ak42_v2_q8_0;
    EXPECT_TRUE(plan_conversion(*cp, opt));
  }
}

}  // namespace
}  // namespace ckpt
