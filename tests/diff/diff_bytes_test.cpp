// --bytes: differing byte counts and ranges, each mapped to a header field or a tensor
// element (int8 or scale part for Q8_0) in both files.
#include "diff_test_util.hpp"
#include "llama2c/formats.hpp"

namespace ckpt::test {
namespace {

Result<ByteDiff> byte_diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, uint64_t max_report = 10) {
  MemorySource sa(a, "A"), sb(b, "B");
  auto ca = open_checkpoint(sa), cb = open_checkpoint(sb);
  return diff_bytes(*ca, *cb, max_report);
}

TEST(DiffBytes, IdenticalFiles) {
  auto a = write_bytes(llama2c::ak42_v2_q8_0, gqa_config());
  auto r = byte_diff(a, a);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->equal());
  EXPECT_EQ(r->differing, 0u);
  EXPECT_EQ(r->ranges, 0u);
}

TEST(DiffBytes, ChangedFloatMapsToTensorElementInBothFiles) {
  const ModelConfig c = gqa_config();
  auto a = write_bytes(llama2c::v0, c), b = a;
  auto cp = open_bytes(a);
  const TensorInfo* wv = cp->find("layers.1.attention.wv.weight");  // (32, 64)
  const uint64_t off = wv->place.offset + 4 * (3 * 64 + 9);
  b[off + 1] ^= 0x10;
  b[off + 2] ^= 0x01;
  auto r = byte_diff(a, b);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->equal());
  EXPECT_EQ(r->differing, 2u);
  EXPECT_EQ(r->ranges, 1u);
  ASSERT_EQ(r->first_ranges.size(), 1u);
  const ByteRange& g = r->first_ranges[0];
  EXPECT_EQ(g.offset, off + 1);
  EXPECT_EQ(g.length, 2u);
  for (const Location* l : {&g.a_first, &g.b_first, &g.a_last}) {
    EXPECT_EQ(l->kind, RegionKind::tensor_data);
    EXPECT_EQ(l->tensor, "layers.1.attention.wv.weight");
    EXPECT_EQ(l->part, "f32");
    EXPECT_EQ(l->index, (std::vector<uint64_t>{3, 9}));
  }
  EXPECT_EQ(g.a_first.byte_in_element, 1u);
  EXPECT_EQ(g.a_last.byte_in_element, 2u);
}

TEST(DiffBytes, HeaderFieldScaleAndSizeDifferences) {
  const ModelConfig c = gqa_config();
  auto a = write_bytes(llama2c::ak42_v2_q8_0, c), b = a;
  auto cp = open_bytes(a);
  put_i32(b, 32, 33);  // seq_len, a header field that moves no tensor
  const TensorInfo* w1 = cp->find("layers.0.feed_forward.w1.weight");
  b[w1->place.scale_offset + 4 * 5] ^= 0xff;  // group 5's scale
  b[w1->place.offset + 70] ^= 0x01;           // an int8 value in group 1
  b.push_back(0);                             // one trailing byte
  auto r = byte_diff(a, b, 2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->differing, 3u);
  EXPECT_EQ(r->ranges, 4u);               // header, int8, scale, the size tail
  ASSERT_EQ(r->first_ranges.size(), 2u);  // --max-report 2
  EXPECT_EQ(r->first_ranges[0].a_first.kind, RegionKind::header_field);
  EXPECT_EQ(r->first_ranges[0].a_first.field, "seq_len");
  const Location& q = r->first_ranges[1].b_first;
  EXPECT_EQ(q.tensor, "layers.0.feed_forward.w1.weight");
  EXPECT_EQ(q.part, "int8");
  EXPECT_EQ(q.element, 70u);
  EXPECT_EQ(q.group, 1u);
  auto all = byte_diff(a, b, 10);
  const ByteRange& s = all->first_ranges[2];
  EXPECT_EQ(s.a_first.part, "scale");
  EXPECT_EQ(s.a_first.group, 5u);
  const ByteRange& tail = all->first_ranges[3];
  EXPECT_EQ(tail.offset, a.size());
  EXPECT_EQ(tail.length, 1u);
  EXPECT_EQ(tail.b_first.kind, RegionKind::trailing);
  EXPECT_EQ(tail.a_first.kind, RegionKind::past_end);
}

}  // namespace
}  // namespace ckpt::test
