// Layout tables: exact sizes and offsets for every format, from FORMATS.md's formulas.
#include "llama2c/layout.hpp"

#include <gtest/gtest.h>

#include "llama2c/formats.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

ModelConfig cfg(int64_t d, int64_t h, int64_t l, int64_t nh, int64_t kv, int64_t v, int64_t s, bool shared = true) {
  ModelConfig c;
  c.dim = d;
  c.hidden_dim = h;
  c.n_layers = l;
  c.n_heads = nh;
  c.n_kv_heads = kv;
  c.vocab_size = v;
  c.seq_len = s;
  c.shared_classifier = shared;
  return c;
}

TEST(Layout, V0ReferenceSizesFromFormatsMd) {
  EXPECT_EQ(llama2c::build_layout(llama2c::v0, cfg(64, 172, 5, 8, 4, 512, 512))->total_size, 1056540u);
  EXPECT_EQ(llama2c::build_layout(llama2c::v0, cfg(288, 768, 6, 6, 6, 32000, 256))->total_size, 60816028u);
  EXPECT_EQ(llama2c::build_layout(llama2c::v0, cfg(768, 2048, 12, 12, 12, 32000, 1024))->total_size, 438381596u);
  // Meta's Llama-2-7B export: untied classifier, seq_len 2048 and 4096.
  EXPECT_EQ(llama2c::build_layout(llama2c::v0, cfg(4096, 11008, 32, 32, 32, 32000, 2048, false))->total_size,
            26954711068u);
  EXPECT_EQ(llama2c::build_layout(llama2c::v0, cfg(4096, 11008, 32, 32, 32, 32000, 4096, false))->total_size,
            26955759644u);
}

TEST(Layout, V0OrderAndOffsets) {
  auto l = llama2c::build_layout(llama2c::v0, cfg(64, 172, 5, 8, 4, 512, 512));
  ASSERT_TRUE(l);
  EXPECT_EQ(l->tensors[0].name, "tok_embeddings.weight");
  EXPECT_EQ(l->places[0].offset, 28u);
  EXPECT_EQ(l->tensors[1].name, "layers.0.attention_norm.weight");
  EXPECT_EQ(l->places[1].offset, 28u + 512 * 64 * 4);
  EXPECT_EQ(l->tensors[11].name, "layers.0.attention.wk.weight");
  EXPECT_EQ(l->tensors[11].shape, (std::vector<uint64_t>{32, 64}));
  EXPECT_EQ(l->tensors.back().name, "freqs_sin");
  EXPECT_EQ(l->tensors.back().shape, (std::vector<uint64_t>{512, 4}));
  EXPECT_EQ(l->places.back().offset, 1056540u - 512 * 4 * 4);
}

TEST(Layout, Ak42SizesMatchFormulas) {
  const ModelConfig c = cfg(288, 768, 6, 6, 6, 32000, 256);
  const uint64_t D = 288, H = 768, L = 6, V = 32000, kvd = 288;
  const uint64_t p_norm = 2 * L * D + D, p_mat = L * (2 * D * D + 2 * kvd * D + 3 * H * D), E = V * D;
  EXPECT_EQ(llama2c::build_layout(llama2c::ak42_v1_fp32, c)->total_size, 256 + 4 * (p_norm + E + p_mat));
  ModelConfig q = c;
  q.group_size = 32;  // 288 % 64 != 0: the exporter backs off to 32
  EXPECT_EQ(exporter_group_size(288), 32);
  const uint64_t N = E + p_mat;
  for (Format f : {llama2c::ak42_v1_q8_0, llama2c::ak42_v2_q8_0, llama2c::ak42_v2_q8_0_scales_last})
    EXPECT_EQ(llama2c::build_layout(f, q)->total_size, 256 + 4 * p_norm + N + 4 * N / 32) << format_name(f);
  // Untied: v2 adds the classifier, the v1 draft never writes it.
  q.shared_classifier = false;
  EXPECT_EQ(llama2c::build_layout(llama2c::ak42_v2_q8_0, q)->total_size, 256 + 4 * p_norm + (N + E) + 4 * (N + E) / 32);
  EXPECT_EQ(llama2c::build_layout(llama2c::ak42_v1_q8_0, q)->total_size, 256 + 4 * p_norm + N + 4 * N / 32);
}

TEST(Layout, InterleavedAndScalesLastPlaceScalesDifferently) {
  ModelConfig c = cfg(64, 172, 2, 8, 4, 96, 32);
  c.group_size = 64;
  auto inter = llama2c::build_layout(llama2c::ak42_v2_q8_0, c);
  auto last = llama2c::build_layout(llama2c::ak42_v2_q8_0_scales_last, c);
  const uint64_t norms = 4 * (2 * 2 * 64 + 64);
  // tok_embeddings is the first quantized tensor in both.
  size_t emb = 2 * 2 + 1;
  ASSERT_EQ(inter->tensors[emb].name, "tok_embeddings.weight");
  EXPECT_EQ(inter->places[emb].offset, 256 + norms);
  EXPECT_EQ(inter->places[emb].scale_offset, 256 + norms + 96 * 64);
  EXPECT_EQ(inter->places[emb + 1].offset, 256 + norms + 96 * 64 + 96 * 64 / 64 * 4);
  EXPECT_EQ(last->places[emb + 1].offset, 256 + norms + 96 * 64);
  const uint64_t N = 96 * 64 + 2 * (2 * 64 * 64 + 2 * 32 * 64 + 3 * 172 * 64);
  EXPECT_EQ(last->places[emb].scale_offset, 256 + norms + N);
  EXPECT_EQ(inter->total_size, last->total_size);
}

TEST(Layout, HostileConfigsFailWithoutOverflow) {
  EXPECT_EQ(llama2c::build_layout(llama2c::v0, cfg(64, 172, 5, 0, 4, 512, 512)).error().code, ErrorCode::layout_config);
  EXPECT_EQ(llama2c::build_layout(llama2c::v0, cfg(-64, 172, 5, 8, 4, 512, 512)).error().code,
            ErrorCode::layout_config);
  EXPECT_EQ(llama2c::build_layout(llama2c::v0, cfg(64, 172, 1 << 30, 8, 4, 512, 512)).error().code,
            ErrorCode::layout_config);
  // 2^31-1 everywhere: the products overflow 64 bits and must be caught.
  const int64_t big = 2147483647;
  EXPECT_EQ(llama2c::build_layout(llama2c::v0, cfg(big, big, 1000, 1, 1, big, big)).error().code,
            ErrorCode::layout_overflow);
  // More heads than dims: head size 0.
  EXPECT_EQ(llama2c::build_layout(llama2c::ak42_v1_fp32, cfg(4, 8, 1, 8, 8, 10, 4)).error().code,
            ErrorCode::layout_config);
  ModelConfig q = cfg(64, 172, 2, 8, 4, 96, 32);
  q.group_size = 0;
  EXPECT_EQ(llama2c::build_layout(llama2c::ak42_v2_q8_0, q).error().code, ErrorCode::layout_config);
}

}  // namespace
}  // namespace ckpt
