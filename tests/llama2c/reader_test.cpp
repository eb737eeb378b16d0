// Reading broken files: every tensor gets a status, truncation and trailing bytes are
// findings with exact offsets, hostile headers are findings and never crash.
#include <gtest/gtest.h>

#include "ckpt/tensor_stream.hpp"
#include "llama2c/formats.hpp"
#include "llama2c/layout.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

using test::open_bytes;
using test::write_bytes;

const Format kAllLayouts[] = {llama2c::v0, llama2c::ak42_v1_fp32, llama2c::ak42_v1_q8_0, llama2c::ak42_v2_q8_0,
                              llama2c::ak42_v2_q8_0_scales_last};

TEST(Reader, CompleteFilesMatchTheirLayoutExactly) {
  for (auto f : kAllLayouts) {
    for (auto c : {test::gqa_config(), test::untied_config()}) {
      auto bytes = write_bytes(f, c);
      auto cp = open_bytes(bytes);
      ASSERT_TRUE(cp);
      c.group_size = llama2c::is_q8(f) ? exporter_group_size(c.dim) : 0;
      if (f == llama2c::ak42_v1_q8_0) c.shared_classifier = true;
      EXPECT_EQ(*cp->config, c) << format_name(f);
      auto layout = llama2c::build_layout(f, c);
      ASSERT_EQ(cp->tensors.size(), layout->tensors.size());
      for (size_t i = 0; i < cp->tensors.size(); ++i) {
        EXPECT_EQ(cp->tensors[i].place.offset, layout->places[i].offset);
        EXPECT_EQ(cp->tensors[i].place.scale_offset, layout->places[i].scale_offset);
        EXPECT_EQ(cp->tensors[i].status, TensorStatus::complete);
      }
      EXPECT_EQ(cp->trailing_bytes, 0u);
      EXPECT_FALSE(cp->has_errors()) << format_name(f);
    }
  }
}

// Truncation at every tensor boundary and one byte either side.
class TruncationTest : public ::testing::TestWithParam<Format> {};

TEST_P(TruncationTest, EveryBoundaryAndOneByteEitherSide) {
  const Format f = GetParam();
  const auto full = write_bytes(f, test::gqa_config());
  auto ref = open_bytes(full);
  ASSERT_TRUE(ref);
  std::vector<uint64_t> cuts;
  for (const auto& t : ref->tensors)
    for (uint64_t base : {t.place.offset, t.place.offset + t.place.nbytes, t.place.scale_offset})
      for (int64_t d : {-1, 0, 1})
        if (base > 0 && int64_t(base) + d > int64_t(llama2c::header_size(f)) && base + d < full.size())
          cuts.push_back(base + d);
  for (uint64_t cut : cuts) {
    std::vector<uint8_t> b(full.begin(), full.begin() + int64_t(cut));
    OpenOptions opt;
    opt.forced_format = f;  // the v2 order test may not decide on a stub
    auto cp = open_bytes(b, opt);
    ASSERT_TRUE(cp) << cut;
    ASSERT_EQ(cp->tensors.size(), ref->tensors.size());
    for (const auto& t : cp->tensors) {
      auto in = [&](uint64_t off, uint64_t n) { return n == 0 ? 0 : off >= cut ? 0 : std::min(n, cut - off); };
      const uint64_t have = in(t.place.offset, t.place.nbytes) + in(t.place.scale_offset, t.place.scale_nbytes);
      const uint64_t want = t.place.nbytes + t.place.scale_nbytes;
      const TensorStatus expect = have == want ? TensorStatus::complete
                                  : have == 0  ? TensorStatus::missing
                                               : TensorStatus::truncated;
      ASSERT_EQ(t.status, expect) << t.spec.name << " cut at " << cut;
      if (expect == TensorStatus::truncated) {
        EXPECT_EQ(t.truncated_at, cut);
      }
    }
    const Finding* trunc = nullptr;
    for (const auto& fd : cp->findings)
      if (fd.rule == "size.truncated") trunc = &fd;
    ASSERT_NE(trunc, nullptr) << cut;
    EXPECT_EQ(trunc->offset, cut);
    EXPECT_EQ(trunc->severity, Severity::error);
  }
}

INSTANTIATE_TEST_SUITE_P(AllLayouts, TruncationTest, ::testing::ValuesIn(kAllLayouts), [](const auto& info) {
  std::string n(format_name(info.param));
  for (auto& ch : n)
    if (ch == '-') ch = '_';
  return n;
});

TEST(Reader, TruncationFindingNamesTensorAndElement) {
  auto b = write_bytes(llama2c::v0, test::gqa_config());
  auto ref = open_bytes(b);
  const auto* wq = ref->find("layers.1.attention.wq.weight");
  b.resize(wq->place.offset + 4 * 100 + 2);  // 100 whole floats and half of the next
  auto cp = open_bytes(b);
  const auto& f = cp->findings.back();
  EXPECT_EQ(f.rule, "size.truncated");
  EXPECT_EQ(f.subject, "layers.1.attention.wq.weight");
  EXPECT_EQ(f.offset, b.size());
  EXPECT_NE(f.message.find("at element 100"), std::string::npos) << f.message;
  EXPECT_EQ(cp->find("layers.1.attention.wq.weight")->data_available, 402u);
  EXPECT_EQ(cp->find("layers.0.attention.wq.weight")->status, TensorStatus::complete);
  EXPECT_EQ(cp->find("norm.weight")->status, TensorStatus::missing);
}

TEST(Reader, TruncatedInScalesSaysScales) {
  auto b = write_bytes(llama2c::ak42_v2_q8_0, test::gqa_config());
  auto ref = open_bytes(b);
  const auto* emb = ref->find("tok_embeddings.weight");
  b.resize(emb->place.scale_offset + 8);
  OpenOptions opt;
  opt.forced_format = llama2c::ak42_v2_q8_0;
  auto cp = open_bytes(b, opt);
  const auto& f = cp->findings.back();
  EXPECT_EQ(f.subject, "tok_embeddings.weight");
  EXPECT_NE(f.message.find("(scales) at element 2"), std::string::npos) << f.message;
}

TEST(Reader, TrailingBytesAreCounted) {
  auto b = write_bytes(llama2c::ak42_v1_fp32, test::gqa_config());
  const uint64_t size = b.size();
  b.resize(size + 13, 0xAB);
  auto cp = open_bytes(b);
  EXPECT_EQ(cp->format, llama2c::ak42_v1_fp32);
  EXPECT_EQ(cp->trailing_bytes, 13u);
  ASSERT_FALSE(cp->findings.empty());
  EXPECT_EQ(cp->findings.back().rule, "size.trailing");
  EXPECT_EQ(cp->findings.back().offset, size);
}

struct HostileCase {
  const char* label;
  Format format;
  uint64_t offset;
  int32_t value;
  const char* rule;
};

class HostileHeaderTest : public ::testing::TestWithParam<HostileCase> {};

TEST_P(HostileHeaderTest, IsAFindingNeverACrash) {
  const auto& hc = GetParam();
  auto b = write_bytes(hc.format, test::gqa_config());
  test::put_i32(b, hc.offset, hc.value);
  OpenOptions opt;
  opt.forced_format = hc.format;
  auto cp = open_bytes(b, opt);
  ASSERT_TRUE(cp);
  bool found = false;
  for (const auto& f : cp->findings) found |= f.rule == hc.rule;
  EXPECT_TRUE(found) << hc.label;
  // Streaming whatever tensors exist stays inside the file and within bounded memory:
  // it succeeds, or refuses a group size it cannot stream.
  MemorySource src(b);
  for (const auto& t : cp->tensors) {
    auto r = stream_f32(*cp, t, [](uint64_t, const float*, size_t) { return true; });
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::stream_group_size) << t.spec.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HostileHeaderTest,
    ::testing::Values(HostileCase{"dim_2_30", llama2c::v0, 0, 1 << 30, "header.overflow"},
                      HostileCase{"n_heads_0", llama2c::v0, 12, 0, "header.value"},
                      HostileCase{"n_layers_negative", llama2c::v0, 8, -5, "header.value"},
                      HostileCase{"n_layers_huge", llama2c::ak42_v1_fp32, 16, 0x7fffffff, "header.value"},
                      HostileCase{"dim_max_overflow", llama2c::ak42_v1_fp32, 8, 0x7fffffff, "header.overflow"},
                      HostileCase{"vocab_negative_ak42", llama2c::ak42_v2_q8_0, 28, -96, "header.value"},
                      HostileCase{"group_size_0", llama2c::ak42_v2_q8_0, 37, 0, "header.value"},
                      HostileCase{"group_size_negative", llama2c::ak42_v1_q8_0, 37, -64, "header.value"},
                      HostileCase{"group_size_huge", llama2c::ak42_v2_q8_0, 37, 0x7fffffff, "size.trailing"},
                      HostileCase{"kv_heads_0", llama2c::ak42_v1_fp32, 24, 0, "header.value"}),
    [](const auto& info) { return std::string(info.param.label); });

TEST(Reader, SizesThatOverflow64BitsAreCaught) {
  auto b = write_bytes(llama2c::ak42_v1_fp32, test::gqa_config());
  for (uint64_t off : {8u, 12u, 28u}) test::put_i32(b, off, 0x7fffffff);  // dim, hidden, vocab
  test::put_i32(b, 16, 1024);                                             // n_layers at the limit
  test::put_i32(b, 20, 1);
  test::put_i32(b, 24, 1);
  auto cp = open_bytes(b);
  ASSERT_TRUE(cp);
  ASSERT_FALSE(cp->findings.empty());
  EXPECT_EQ(cp->findings.back().rule, "header.overflow");
  EXPECT_TRUE(cp->tensors.empty());
}

}  // namespace
}  // namespace ckpt
