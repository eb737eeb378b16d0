// Bad tt-train msgpack input: one case per failure kind, each asserting the exact rule id
// and the exact byte offset of the culprit.
#include <gtest/gtest.h>

#include <functional>

#include "ckpt/tensor_stream.hpp"
#include "test_support.hpp"
#include "ttml/ttml.hpp"
#include "ttml_builder.hpp"

namespace ckpt {
namespace {

using namespace ttml;

using test::Mp;

struct Case {
  std::string name;
  std::string rule;
  std::function<std::vector<uint8_t>(uint64_t& offset)> build;  // sets the expected offset
  bool forced = false;
};

// A valid two-tensor file; `data_at` receives the first data array's header offset.
Mp valid(uint64_t& data_at) {
  Mp m;
  m.map(10);
  data_at = test::put_tensor(m, "a", {1, 1, 2, 2}, {0.5f, 1.5f, 2.5f, 3.5f});
  test::put_tensor(m, "b", {1, 1, 1, 2}, {1.25f, 2.25f});
  return m;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all{
      {"TruncatedInsideDataArray", "ttml.truncated",
       [](uint64_t& off) {
         uint64_t data_at;
         Mp m = valid(data_at);
         // Keep the array header and 2.5 elements (5 bytes each): element 2 is cut.
         m.b.resize(data_at + 1 + 5 * 2 + 3);
         off = data_at + 1 + 5 * 2;
         return m.b;
       }},
      {"TruncatedBetweenEntries", "ttml.truncated",
       [](uint64_t& off) {
         Mp m;
         m.map(3);
         m.str("x").var(2).uint(1);
         m.str("y").var(2).uint(2);
         off = m.pos();  // the file size: the third entry is missing
         return m.b;
       }},
      {"ValueNotTwoElementArray", "ttml.value_shape",
       [](uint64_t& off) {
         Mp m;
         m.map(2);
         m.str("x");
         off = m.pos();
         m.uint(5);  // a bare int, not [variant, payload]
         m.str("y").var(2).uint(2);
         return m.b;
       }},
      {"ValueThreeElementArray", "ttml.value_shape",
       [](uint64_t& off) {
         Mp m;
         m.map(1);
         m.str("x");
         off = m.pos();
         m.arr(3).uint(2).uint(1).uint(1);
         return m.b;
       }},
      {"VariantDoesNotMatchPayload", "ttml.variant_mismatch",
       [](uint64_t& off) {
         Mp m;
         m.map(1);
         m.str("x").var(10);
         off = m.pos();
         m.str("not a vector<float>");
         return m.b;
       }},
      {"BoolVariantWithInt", "ttml.variant_mismatch",
       [](uint64_t& off) {
         Mp m;
         m.map(1);
         m.str("t/requires_grads").var(0);
         off = m.pos();
         m.uint(1);
         return m.b;
       }},
      {"VariantIndexOutOfTable", "ttml.variant_index",
       [](uint64_t& off) {
         Mp m;
         m.map(1);
         m.str("x");
         off = m.pos() + 1;
         m.var(99).uint(1);
         return m.b;
       }},
      {"ShapeTimesDtypeIsNotElementCount", "ttml.numel_mismatch",
       [](uint64_t& off) {
         Mp m;
         m.map(5);
         off = test::put_tensor(m, "a", {1, 1, 2, 3}, {1, 2, 3, 4, 5});
         return m.b;
       }},
      {"NonNumberInFloatArray", "ttml.non_number",
       [](uint64_t& off) {
         Mp m;
         m.map(1);
         m.str("a/value/data").var(10).arr(3).f32(1.5f);
         off = m.pos();
         m.str("x").f64(2.5);
         return m.b;
       }},
      {"FloatInUint32Array", "ttml.non_number",
       [](uint64_t& off) {
         Mp m;
         m.map(1);
         m.str("a/value/data").var(13).arr(3).uint(1);
         off = m.pos();
         m.f32(1.5f).uint(3);
         return m.b;
       }},
      {"DuplicateKey", "ttml.duplicate_key",
       [](uint64_t& off) {
         Mp m;
         m.map(2);
         m.str("adamw/steps").var(6).uint(1);
         off = m.pos();
         m.str("adamw/steps").var(6).uint(2);
         return m.b;
       }},
      {"TrailingBytes", "ttml.trailing",
       [](uint64_t& off) {
         uint64_t data_at;
         Mp m = valid(data_at);
         off = m.pos();
         m.raw({0, 0, 0});
         return m.b;
       }},
      {"NestingTooDeep", "ttml.depth",
       [](uint64_t& off) {
         Mp m;
         m.map(1);
         m.str("x").var(9);
         const uint64_t payload = m.pos();  // level 3
         for (int i = 0; i < 40; ++i) m.arr(1);
         m.uint(0);
         off = payload + 30;  // the first array at level 33
         return m.b;
       }},
      {"StringLongerThanFile", "ttml.length",
       [](uint64_t& off) {
         Mp m;
         m.map(1);
         off = m.pos();
         m.byte(0xda).be(1000, 2).raw({'a', 'b'});
         return m.b;
       }},
      {"ArrayCountLargerThanFile", "ttml.length",
       [](uint64_t& off) {
         Mp m;
         m.map(1);
         m.str("a/value/data").var(10);
         off = m.pos();
         m.byte(0xdd).be(0xffffffffu, 4).f32(1.0f);
         return m.b;
       }},
      {"MapCountLargerThanFile", "ttml.length",
       [](uint64_t& off) {
         Mp m;
         off = m.pos();
         m.byte(0xdf).be(0x7fffffffu, 4);
         m.str("x").var(2).uint(1);
         return m.b;
       }},
      {"NeverUsedByte", "ttml.bad_byte",
       [](uint64_t& off) {
         Mp m;
         m.map(1);
         m.str("a/value/data").var(10).arr(2).f32(1.0f);
         off = m.pos();
         m.byte(0xc1);
         return m.b;
       }},
      {"KeyNotString", "ttml.key_type",
       [](uint64_t& off) {
         Mp m;
         m.map(2);
         m.str("x").var(2).uint(1);
         off = m.pos();
         m.uint(7).var(2).uint(1);
         return m.b;
       }},
      {"ShapeBytesNotRankTimesFour", "ttml.shape",
       [](uint64_t& off) {
         Mp m;
         m.map(2);
         m.str("a/value/shape").var(12);
         off = m.pos();
         m.bin({1, 0, 0, 0, 2});
         m.str("a/value/data").var(10).arr(1).f32(1.0f);
         return m.b;
       }},
      {"NotAMap", "ttml.top_level",
       [](uint64_t& off) {
         Mp m;
         off = 0;
         m.arr(2).uint(1).uint(2);
         return m.b;
       },
       true},
  };
  return all;
}

class TtmlCorrupt : public ::testing::TestWithParam<size_t> {};

TEST_P(TtmlCorrupt, FindingHasRuleAndOffset) {
  const Case& c = cases()[GetParam()];
  uint64_t offset = 0;
  const auto bytes = c.build(offset);
  OpenOptions opt;
  if (c.forced) opt.forced_format = ttml::msgpack_weights;
  auto cp = test::open_bytes(bytes, opt);
  ASSERT_TRUE(cp) << cp.error().message;
  EXPECT_EQ(cp->format, ttml::msgpack_weights);
  const Finding* hit = nullptr;
  std::string all;
  for (const auto& f : cp->findings) {
    all += f.rule + "@" + (f.offset ? std::to_string(*f.offset) : "-") + " ";
    if (f.rule == c.rule && !hit) hit = &f;
  }
  ASSERT_NE(hit, nullptr) << c.name << ": findings " << all;
  EXPECT_EQ(hit->offset, std::optional<uint64_t>(offset)) << c.name << ": " << hit->message;
  EXPECT_EQ(cp->findings.front().rule, c.rule) << c.name << ": first finding should be the culprit: " << all;
}

INSTANTIATE_TEST_SUITE_P(Cases, TtmlCorrupt, ::testing::Range<size_t>(0, cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& i) { return cases()[i.param].name; });

TEST(TtmlCorruptDetail, TruncatedTensorStreamsItsCompletePrefix) {
  uint64_t data_at;
  Mp m = valid(data_at);
  m.b.resize(data_at + 1 + 5 * 2 + 3);
  auto cp = test::open_bytes(m.b);
  ASSERT_TRUE(cp);
  ASSERT_EQ(cp->tensors.size(), 1u);
  const auto& t = cp->tensors[0];
  EXPECT_EQ(t.status, TensorStatus::truncated);
  EXPECT_EQ(t.truncated_at, std::optional<uint64_t>(m.b.size()));
  EXPECT_EQ(ttml::info_of(*cp)->tensors[0].elements_present, 2u);
  MemorySource src(m.b);
  std::vector<float> got;
  auto r = stream_f32(*cp, t, [&](uint64_t, const float* v, size_t n) {
    got.insert(got.end(), v, v + n);
    return true;
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(got, (std::vector<float>{0.5f, 1.5f}));
}

TEST(TtmlCorruptDetail, DuplicateKeyKeepsTheLastValue) {
  Mp m;
  m.map(2);
  m.str("adamw/steps").var(6).uint(1);
  m.str("adamw/steps").var(6).uint(2);
  auto cp = test::open_bytes(m.b);
  ASSERT_TRUE(cp);
  ASSERT_EQ(cp->metadata.size(), 1u);
  EXPECT_EQ(cp->metadata[0].value, "2");
  EXPECT_TRUE(ttml::info_of(*cp)->entries[0].shadowed);
}

TEST(TtmlCorruptDetail, HugeDeclaredLengthsAllocateNothing) {
  // 4 G elements declared in a 20-byte file: refused by the length check before any
  // allocation or walk (the test would otherwise take minutes or run out of memory).
  Mp m;
  m.map(1);
  m.str("a/value/data").var(10).byte(0xdd).be(0xffffffffu, 4);
  auto cp = test::open_bytes(m.b);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->findings.front().rule, "ttml.length");
  EXPECT_TRUE(cp->tensors.empty() || cp->tensors[0].status != TensorStatus::complete);
}

}  // namespace
}  // namespace ckpt
