// Error shapes (DiffOptions::error_shapes): the |a - b| histogram, row and column
// profiles, map and corner of differing tensors, exact for known changes, bounded for
// huge matrices, the same whether a tensor is compared on one thread or split.
#include <cmath>

#include "../../diff/src/error_shape_accum.hpp"
#include "diff_test_util.hpp"
#include "llama2c/formats.hpp"

namespace ckpt::test {
namespace {

DiffOptions with_shapes() {
  DiffOptions o;
  o.error_shapes = true;
  return o;
}

uint64_t bin_count(const Histogram& h, double x) {
  for (const auto& b : h.bins)
    if (x >= b.lo && x < b.hi) return b.count;
  return 0;
}

TEST(DiffErrorShape, EqualFilesHaveNone) {
  const ModelConfig c = gqa_config();
  auto r = diff_memory(write_bytes(llama2c::v0, c), write_bytes(llama2c::ak42_v1_fp32, c), with_shapes());
  ASSERT_TRUE(r);
  for (const auto& t : r->tensors) EXPECT_FALSE(t.error_shape) << t.name;
}

TEST(DiffErrorShape, OneChangedElementShowsInItsRowColumnCellAndBin) {
  const ModelConfig c = gqa_config();
  MemoryWeights w = make_weights(c);
  const std::string name = "layers.1.feed_forward.w2.weight";  // (64, 172)
  const float old = tensor(w, name)[5 * 172 + 101];
  tensor(w, name)[5 * 172 + 101] = old + 0.25f;
  auto r = diff_memory(write_bytes(llama2c::v0, c), write_bytes(llama2c::ak42_v1_fp32, c, w), with_shapes());
  ASSERT_TRUE(r);
  for (const auto& t : r->tensors) EXPECT_EQ(t.error_shape.has_value(), t.name == name) << t.name;
  const ErrorShape& s = *find_tensor(*r, name)->error_shape;
  EXPECT_EQ(s.rows, 64u);
  EXPECT_EQ(s.cols, 172u);
  EXPECT_EQ(s.compared, 64u * 172u);
  // |a - b| = 0.25 (up to the float rounding of a + 0.25): one pair, the rest in the zero bin.
  EXPECT_EQ(s.abs_error.total(), 64u * 172u);
  EXPECT_EQ(bin_count(s.abs_error, 0.0), 64u * 172u - 1);
  EXPECT_EQ(bin_count(s.abs_error, std::fabs(double((old + 0.25f) - old))), 1u);
  // One row and one column per bucket at this size.
  EXPECT_EQ(s.by_row.bucket, 1u);
  EXPECT_EQ(s.by_col.bucket, 1u);
  ASSERT_EQ(s.by_row.rms.size(), 64u);
  ASSERT_EQ(s.by_col.rms.size(), 172u);
  for (size_t i = 0; i < 64; ++i) {
    EXPECT_EQ(s.by_row.count[i], 172u);
    if (i == 5)
      EXPECT_NEAR(s.by_row.rms[i], 0.25 / std::sqrt(172.0), 1e-7);
    else
      EXPECT_EQ(s.by_row.rms[i], 0.0) << i;
  }
  for (size_t j = 0; j < 172; ++j) {
    EXPECT_EQ(s.by_col.count[j], 64u);
    if (j == 101)
      EXPECT_NEAR(s.by_col.rms[j], 0.25 / 8.0, 1e-7);
    else
      EXPECT_EQ(s.by_col.rms[j], 0.0) << j;
  }
  // The map: cells of 2 x 6 elements (32 x 29 cells); the change is in cell (2, 16).
  EXPECT_EQ(s.map_row_bucket, 2u);
  EXPECT_EQ(s.map_col_bucket, 6u);
  ASSERT_EQ(s.map_rms.size(), s.map_rows * s.map_cols);
  EXPECT_EQ(s.map_rows, 32u);
  EXPECT_EQ(s.map_cols, 29u);
  for (uint64_t i = 0; i < s.map_rms.size(); ++i) {
    if (i == 2 * s.map_cols + 16)
      EXPECT_NEAR(s.map_rms[i], 0.25 / std::sqrt(12.0), 1e-7);
    else
      EXPECT_EQ(s.map_rms[i], 0.0) << i;
  }
  EXPECT_EQ(s.map_count.back(), 2u * (172 - 28 * 6));  // the last column of cells is narrower
  // The corner: A's and B's top-left 32 x 32 values, the change at [5, 101] outside it.
  ASSERT_EQ(s.corner_rows, 32u);
  ASSERT_EQ(s.corner_cols, 32u);
  EXPECT_EQ(s.corner_a, s.corner_b);
  EXPECT_EQ(s.corner_a[3 * 32 + 7], tensor(w, name)[3 * 172 + 7]);
}

TEST(DiffErrorShape, TransposedMatrixCornerIsTheMirrorImage) {
  const ModelConfig c = gqa_config();
  MemoryWeights w = make_weights(c);
  auto& wo = tensor(w, "layers.1.attention.wo.weight");
  const std::vector<float> original = wo;
  wo = transpose(wo, 64, 64);
  auto r = diff_memory(write_bytes(llama2c::v0, c), write_bytes(llama2c::v0, c, w), with_shapes());
  ASSERT_TRUE(r);
  const ErrorShape& s = *find_tensor(*r, "layers.1.attention.wo.weight")->error_shape;
  for (uint64_t i = 0; i < 32; ++i)
    for (uint64_t j = 0; j < 32; ++j) {
      EXPECT_EQ(s.corner_a[i * 32 + j], original[i * 64 + j]);
      EXPECT_EQ(s.corner_b[i * 32 + j], original[j * 64 + i]);
    }
  // The diagonal is equal: every row's error is spread over its other 63 elements, the
  // diagonal elements land in the zero bin.
  EXPECT_EQ(bin_count(s.abs_error, 0.0), 64u);
  for (double v : s.by_row.rms) EXPECT_GT(v, 0.0);
}

TEST(DiffErrorShape, RotaryPermutationLeavesTheFirstAndLastRowOfEachHeadEqual) {
  const ModelConfig c = gqa_config();  // head size 8
  MemoryWeights w = make_weights(c);
  auto& wq = tensor(w, "layers.0.attention.wq.weight");
  wq = hf_to_meta(wq, 8, 64);
  auto r = diff_memory(write_bytes(llama2c::v0, c), write_bytes(llama2c::v0, c, w), with_shapes());
  ASSERT_TRUE(r);
  const ErrorShape& s = *find_tensor(*r, "layers.0.attention.wq.weight")->error_shape;
  ASSERT_EQ(s.by_row.rms.size(), 64u);
  for (size_t row = 0; row < 64; ++row) {
    const bool fixed = row % 8 == 0 || row % 8 == 7;  // rows 2i + k = k * 4 + i: i = 0, k = 0 and i = 3, k = 1
    EXPECT_EQ(s.by_row.rms[row] == 0.0, fixed) << row;
  }
}

TEST(DiffErrorShape, TruncatedFileCountsOnlyTheComparedPrefix) {
  const ModelConfig c = gqa_config();
  auto a = write_bytes(llama2c::ak42_v1_fp32, c), b = a;
  auto cp = open_bytes(a);
  const TensorInfo* w2 = cp->find("layers.0.feed_forward.w2.weight");  // (64, 172)
  b.resize(w2->place.offset + 4 * 1000);
  auto r = diff_memory(a, b, with_shapes());
  ASSERT_TRUE(r);
  const TensorDiff* t = find_tensor(*r, "layers.0.feed_forward.w2.weight");
  ASSERT_TRUE(t->error_shape);  // equal values, but elements missing
  const ErrorShape& s = *t->error_shape;
  EXPECT_EQ(s.compared, 1000u);
  EXPECT_EQ(s.by_row.count[0], 172u);
  EXPECT_EQ(s.by_row.count[5], 1000u - 5 * 172);
  EXPECT_EQ(s.by_row.count[6], 0u);
  EXPECT_EQ(s.by_col.count[0], 6u);
  EXPECT_EQ(s.by_col.count[139], 6u);
  EXPECT_EQ(s.by_col.count[140], 5u);  // 1000 = 5 * 172 + 140
  EXPECT_EQ(s.abs_error.total(), 1000u);
  EXPECT_EQ(s.corner_rows, 6u);  // corner rows present: row 5's first 32 columns end at element 892
  // A tensor entirely missing from B: a shape with nothing compared.
  const TensorDiff* w3 = find_tensor(*r, "layers.1.feed_forward.w3.weight");
  ASSERT_TRUE(w3->error_shape);
  EXPECT_EQ(w3->error_shape->compared, 0u);
  EXPECT_EQ(w3->error_shape->by_row.count[0], 0u);
  EXPECT_TRUE(w3->error_shape->abs_error.empty());
}

TEST(DiffErrorShape, SplitAcrossThreadsEqualsOneThread) {
  const ModelConfig c = gqa_config();
  MemoryWeights w = make_weights(c, 1);  // every element differs
  DiffOptions one = with_shapes(), split = with_shapes();
  one.threads = 1;
  split.threads = 2;
  split.split_elems = 1;
  split.chunk_elems = 1000;
  auto a = write_bytes(llama2c::v0, c), b = write_bytes(llama2c::v0, c, w);
  auto r1 = diff_memory(a, b, one), r2 = diff_memory(a, b, split);
  ASSERT_TRUE(r1 && r2);
  for (size_t i = 0; i < r1->tensors.size(); ++i) {
    const auto& x = r1->tensors[i].error_shape;
    const auto& y = r2->tensors[i].error_shape;
    ASSERT_EQ(x.has_value(), y.has_value());
    if (!x) continue;
    EXPECT_EQ(x->abs_error.bins.size(), y->abs_error.bins.size());
    for (size_t k = 0; k < x->abs_error.bins.size(); ++k)
      EXPECT_EQ(x->abs_error.bins[k].count, y->abs_error.bins[k].count);
    // Squared errors are summed in float pieces: equal to float precision.
    for (size_t k = 0; k < x->by_row.rms.size(); ++k)
      EXPECT_NEAR(x->by_row.rms[k], y->by_row.rms[k], 1e-6 * x->by_row.rms[k]);
    for (size_t k = 0; k < x->by_col.rms.size(); ++k)
      EXPECT_NEAR(x->by_col.rms[k], y->by_col.rms[k], 1e-6 * x->by_col.rms[k]);
    EXPECT_EQ(x->corner_a, y->corner_a);
  }
}

TEST(DiffErrorShape, HugeMatricesHaveBoundedProfilesAndMaps) {
  using diffing::ErrorGeometry;
  const ErrorGeometry g = ErrorGeometry::of(32000, 4096);  // Llama-2-7B's embedding
  EXPECT_EQ(g.row_bucket, 63u);
  EXPECT_EQ(g.n_row, 508u);
  EXPECT_EQ(g.col_bucket, 8u);
  EXPECT_EQ(g.n_col, 512u);
  EXPECT_LE(g.map_rows, 32u);
  EXPECT_LE(g.map_cols, 32u);
  EXPECT_EQ(g.map_col_bucket % g.col_bucket, 0u);                   // map cells hold whole column buckets
  const ErrorGeometry v = ErrorGeometry::of(1, uint64_t(1) << 40);  // a vector of 2^40 elements
  EXPECT_EQ(v.n_row, 1u);
  EXPECT_LE(v.n_col, 512u);
  // An accumulator fed a block in the middle of a huge matrix touches only its buckets.
  diffing::ErrorShapeAccum acc(g);
  std::vector<float> a(5000, 1.0f), b(5000, 1.5f);
  acc.add(uint64_t(20000) * 4096 + 4000, a.data(), b.data(), a.size());
  const ErrorShape s = acc.result(uint64_t(32000) * 4096);
  EXPECT_EQ(s.by_row.rms.size(), 508u);
  double in_rows = 0;
  for (size_t k = 0; k < s.by_row.rms.size(); ++k)
    if (s.by_row.rms[k] > 0) in_rows += 1;
  EXPECT_EQ(in_rows, 1.0);  // rows 20000 and 20001 share bucket 317
  EXPECT_GT(s.by_row.rms[20000 / 63], 0.0);
  EXPECT_EQ(bin_count(s.abs_error, 0.5), 5000u);
}

}  // namespace
}  // namespace ckpt::test
