// The numeric diff: equality across layouts, exact indices of changed elements,
// tolerances (numpy's rule, ulps, the Q8_0 group bound), NaN, shapes, threads.
#include <cmath>

#include "diff_test_util.hpp"
#include "llama2c/formats.hpp"

namespace ckpt::test {
namespace {

TEST(DiffCompare, SameWeightsInEveryFp32LayoutCompareEqual) {
  for (const ModelConfig& c : {gqa_config(), untied_config()}) {
    auto r = diff_memory(write_bytes(llama2c::v0, c), write_bytes(llama2c::ak42_v1_fp32, c));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->equal());
    EXPECT_TRUE(r->config.empty());
    EXPECT_TRUE(differing(*r).empty());
    // v0's RoPE tables are reported as layout-only, never as a difference.
    const TensorDiff* cos = find_tensor(*r, "freqs_cos");
    ASSERT_NE(cos, nullptr);
    EXPECT_EQ(cos->status, DiffStatus::only_in_a);
    EXPECT_TRUE(cos->layout_only);
    const TensorDiff* wq = find_tensor(*r, "layers.1.attention.wq.weight");
    ASSERT_NE(wq, nullptr);
    EXPECT_EQ(wq->status, DiffStatus::equal);
    EXPECT_EQ(wq->compared, wq->numel);
    EXPECT_EQ(wq->rule, "exact");
    ASSERT_TRUE(wq->cosine);
    EXPECT_DOUBLE_EQ(*wq->cosine, 1.0);
    EXPECT_EQ(wq->max_abs->value, 0.0);
  }
}

TEST(DiffCompare, SingleChangedElementIsReportedWithItsTensorIndexAndValues) {
  const ModelConfig c = gqa_config();
  MemoryWeights w = make_weights(c);
  const std::string name = "layers.1.feed_forward.w2.weight";  // (64, 172)
  const float old = tensor(w, name)[5 * 172 + 101];
  tensor(w, name)[5 * 172 + 101] = old + 0.25f;
  auto r = diff_memory(write_bytes(llama2c::v0, c), write_bytes(llama2c::ak42_v1_fp32, c, w));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->equal());
  EXPECT_EQ(differing(*r), std::vector<std::string>{name});
  const TensorDiff* t = find_tensor(*r, name);
  EXPECT_EQ(t->status, DiffStatus::differs);
  EXPECT_EQ(t->mismatches, 1u);
  EXPECT_EQ(t->compared, 64u * 172u);
  ASSERT_EQ(t->first_mismatches.size(), 1u);
  EXPECT_EQ(t->first_mismatches[0].index, (std::vector<uint64_t>{5, 101}));
  EXPECT_EQ(t->first_mismatches[0].flat, 5u * 172u + 101u);
  EXPECT_EQ(t->first_mismatches[0].a, old);
  EXPECT_EQ(t->first_mismatches[0].b, old + 0.25f);
  EXPECT_EQ(t->max_abs->at.index, (std::vector<uint64_t>{5, 101}));
  EXPECT_NEAR(t->max_abs->value, 0.25, 1e-6);
  EXPECT_NEAR(t->rmse, 0.25 / std::sqrt(64.0 * 172.0), 1e-7);
  EXPECT_FALSE(t->diagnosis.has_value());  // no known mistake changes one element
}

TEST(DiffCompare, Q8AgainstFp32IsEqualWithinEachGroupsHalfStepAndReportsTheError) {
  const ModelConfig c = gqa_config();
  auto r = diff_memory(write_bytes(llama2c::v0, c), write_bytes(llama2c::ak42_v2_q8_0, c));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->equal()) << differing(*r).size();
  const TensorDiff* t = find_tensor(*r, "layers.0.feed_forward.w1.weight");
  EXPECT_EQ(t->rule, "q8_0 half step");
  EXPECT_EQ(t->dtype_b, "q8_0");
  EXPECT_GT(t->max_abs->value, 0.0);                      // the quantization error is measured
  EXPECT_LT(t->max_abs->value, 0.125 / 127 / 2 * 1.001);  // |w| < 0.125: half a step is below that
  // The norms stay fp32 in Q8_0 files and compare exactly.
  EXPECT_EQ(find_tensor(*r, "norm.weight")->rule, "exact");
}

TEST(DiffCompare, Q8AgainstFp32FlagsAnElementBeyondItsGroupBound) {
  const ModelConfig c = gqa_config();
  MemoryWeights w = make_weights(c);
  auto q8 = write_bytes(llama2c::ak42_v2_q8_0, c, w);
  tensor(w, "layers.0.attention.wv.weight")[70] += 0.01f;  // ~10 quantization steps
  auto r = diff_memory(q8, write_bytes(llama2c::v0, c, w));
  ASSERT_TRUE(r);
  EXPECT_EQ(differing(*r), std::vector<std::string>{"layers.0.attention.wv.weight"});
  const TensorDiff* t = find_tensor(*r, "layers.0.attention.wv.weight");
  EXPECT_EQ(t->mismatches, 1u);
  EXPECT_EQ(t->first_mismatches[0].index, (std::vector<uint64_t>{1, 6}));
  // With an explicit tolerance the group bound no longer applies.
  DiffOptions tight;
  tight.atol = 1e-7;
  auto r2 = diff_memory(q8, write_bytes(llama2c::v0, c, w), tight);
  EXPECT_GT(find_tensor(*r2, "layers.0.attention.wq.weight")->mismatches, 1000u);
  EXPECT_EQ(find_tensor(*r2, "layers.0.attention.wq.weight")->rule, "atol=1e-07, rtol=0");
}

// One norm element set to a in A and b in B.
Result<DiffReport> diff_one(float a, float b, const DiffOptions& o) {
  const ModelConfig c = gqa_config();
  MemoryWeights wa = make_weights(c), wb = make_weights(c);
  tensor(wa, "norm.weight")[3] = a;
  tensor(wb, "norm.weight")[3] = b;
  return diff_memory(write_bytes(llama2c::v0, c, wa), write_bytes(llama2c::v0, c, wb), o);
}

bool equal_with(float a, float b, std::optional<double> atol, std::optional<double> rtol,
                std::optional<uint64_t> ulp = std::nullopt, bool equal_nan = false) {
  DiffOptions o;
  o.atol = atol;
  o.rtol = rtol;
  o.ulp = ulp;
  o.equal_nan = equal_nan;
  auto r = diff_one(a, b, o);
  EXPECT_TRUE(r);
  return r->equal();
}

TEST(DiffCompare, TolerancesFollowNumpysRuleRelativeToB) {
  EXPECT_FALSE(equal_with(1.0f, 1.5f, std::nullopt, std::nullopt));  // exact by default
  EXPECT_TRUE(equal_with(1.0f, 1.5f, 0.5, std::nullopt));            // |a-b| <= atol, boundary included
  EXPECT_FALSE(equal_with(1.0f, 1.5f, 0.49, std::nullopt));
  EXPECT_TRUE(equal_with(1.0f, 1.5f, std::nullopt, 0.4));   // 0.5 <= 0.4 * |b| = 0.6
  EXPECT_FALSE(equal_with(1.5f, 1.0f, std::nullopt, 0.4));  // 0.5 > 0.4 * |b| = 0.4: asymmetric
  EXPECT_TRUE(equal_with(1.5f, 1.0f, 0.1, 0.4));            // 0.5 <= 0.1 + 0.4
}

TEST(DiffCompare, UlpToleranceCountsRepresentableFloats) {
  const float a = 1.0f, b = std::nextafter(std::nextafter(a, 2.0f), 2.0f);
  EXPECT_FALSE(equal_with(a, b, std::nullopt, std::nullopt, 1));
  EXPECT_TRUE(equal_with(a, b, std::nullopt, std::nullopt, 2));
  EXPECT_TRUE(equal_with(-0.0f, 0.0f, std::nullopt, std::nullopt));  // numerically equal
  const float tiny = std::nextafter(0.0f, 1.0f);
  EXPECT_TRUE(equal_with(-tiny, tiny, std::nullopt, std::nullopt, 2));  // across zero: 2 steps
  EXPECT_FALSE(equal_with(-tiny, tiny, std::nullopt, std::nullopt, 1));
}

TEST(DiffCompare, NanEqualsNanOnlyWithEqualNan) {
  const float nan = std::nanf("");
  EXPECT_FALSE(equal_with(nan, nan, std::nullopt, std::nullopt));
  EXPECT_TRUE(equal_with(nan, nan, std::nullopt, std::nullopt, std::nullopt, true));
  EXPECT_FALSE(equal_with(nan, 1.0f, std::nullopt, std::nullopt, std::nullopt, true));
  EXPECT_FALSE(equal_with(1.0f, nan, 10.0, std::nullopt));
  EXPECT_TRUE(equal_with(INFINITY, INFINITY, std::nullopt, std::nullopt));
  EXPECT_FALSE(equal_with(INFINITY, -INFINITY, 1e30, std::nullopt));
  auto r = diff_one(nan, nan, {});
  const TensorDiff* t = find_tensor(*r, "norm.weight");
  ASSERT_EQ(t->first_mismatches.size(), 1u);
  EXPECT_EQ(t->first_mismatches[0].index, std::vector<uint64_t>{3});
  EXPECT_TRUE(std::isnan(t->first_mismatches[0].a));
  EXPECT_EQ(t->rmse, 0.0);  // metrics skip non-finite pairs
}

TEST(DiffCompare, ConfigShapeAndPresenceDifferences) {
  ModelConfig a = gqa_config(), b = gqa_config();
  b.hidden_dim = 128;
  b.shared_classifier = false;
  auto r = diff_memory(write_bytes(llama2c::v0, a), write_bytes(llama2c::ak42_v1_fp32, b));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->equal());
  ASSERT_EQ(r->config.size(), 2u);
  EXPECT_EQ(r->config[0].field, "hidden_dim");
  EXPECT_EQ(*r->config[0].a, 172);
  EXPECT_EQ(*r->config[0].b, 128);
  EXPECT_EQ(r->config[1].field, "shared_classifier");
  EXPECT_EQ(find_tensor(*r, "output.weight")->status, DiffStatus::only_in_b);
  EXPECT_EQ(find_tensor(*r, "layers.0.feed_forward.w1.weight")->status, DiffStatus::shape_mismatch);
  EXPECT_EQ(find_tensor(*r, "layers.0.feed_forward.w1.weight")->shape_b, (std::vector<uint64_t>{128, 64}));
  EXPECT_EQ(find_tensor(*r, "layers.0.attention.wq.weight")->status, DiffStatus::equal);
  // Q8_0 against fp32: group_size is layout, not config.
  auto q = diff_memory(write_bytes(llama2c::ak42_v1_fp32, a), write_bytes(llama2c::ak42_v2_q8_0, a));
  EXPECT_TRUE(q->config.empty());
}

TEST(DiffCompare, SplittingAcrossThreadsGivesTheSingleThreadResult) {
  const ModelConfig c = gqa_config();
  MemoryWeights w = make_weights(c);
  auto& emb = tensor(w, "tok_embeddings.weight");  // (96, 64)
  for (uint64_t i : {7u, 1000u, 3071u, 3072u, 3073u, 6000u}) emb[i] += 0.5f;
  emb[5000] += 0.75f;
  emb[100] += 0.75f;  // a tie on max_abs: the first index wins
  auto a = write_bytes(llama2c::v0, c), b = write_bytes(llama2c::ak42_v2_q8_0, c, w);
  DiffOptions one, two;
  one.threads = 1;
  two.threads = 2;
  two.split_elems = 1024;  // split even small tensors
  two.chunk_elems = 1000;  // chunks that do not align with Q8_0 groups or blocks
  one.max_report = two.max_report = 4;
  auto r1 = diff_memory(a, b, one), r2 = diff_memory(a, b, two);
  const TensorDiff *t1 = find_tensor(*r1, "tok_embeddings.weight"), *t2 = find_tensor(*r2, "tok_embeddings.weight");
  EXPECT_EQ(t1->mismatches, 8u);
  EXPECT_EQ(t2->mismatches, 8u);
  ASSERT_EQ(t2->first_mismatches.size(), 4u);
  std::vector<uint64_t> flats;
  for (const auto& m : t2->first_mismatches) flats.push_back(m.flat);
  EXPECT_EQ(flats, (std::vector<uint64_t>{7, 100, 1000, 3071}));
  EXPECT_EQ(t1->max_abs->at.flat, t2->max_abs->at.flat);
  EXPECT_EQ(t2->max_abs->at.index, (std::vector<uint64_t>{1, 36}));  // flat 100
  EXPECT_NEAR(t1->rmse, t2->rmse, 1e-12 * t1->rmse);                 // other block boundaries, other rounding
  EXPECT_NEAR(*t1->cosine, *t2->cosine, 1e-12);
}

}  // namespace
}  // namespace ckpt::test

namespace ckpt::test {
namespace {

// msgpack tensors can only be streamed: the forward-stream path must give the report
// the positional path gives, first mismatches and diagnoses included.
TEST(DiffCompare, StreamedReadsGiveThePositionalReport) {
  const ModelConfig c = gqa_config();
  MemoryWeights w = make_weights(c);
  tensor(w, "tok_embeddings.weight")[4000] = 3.0f;
  tensor(w, "layers.1.attention.wq.weight") = hf_to_meta(tensor(w, "layers.1.attention.wq.weight"), 8, 64);
  std::swap(tensor(w, "layers.0.feed_forward.w1.weight"), tensor(w, "layers.0.feed_forward.w3.weight"));
  auto a = write_bytes(llama2c::v0, c), b = write_bytes(llama2c::ak42_v1_fp32, c, w);
  DiffOptions streamed;
  streamed.force_stream = true;
  streamed.chunk_elems = 1000;
  auto r1 = diff_memory(a, b), r2 = diff_memory(a, b, streamed);
  ASSERT_TRUE(r1);
  ASSERT_TRUE(r2) << r2.error().message;
  EXPECT_EQ(differing(*r2),
            (std::vector<std::string>{"tok_embeddings.weight", "layers.1.attention.wq.weight",
                                      "layers.0.feed_forward.w1.weight", "layers.0.feed_forward.w3.weight"}));
  ASSERT_EQ(r1->tensors.size(), r2->tensors.size());
  for (size_t i = 0; i < r1->tensors.size(); ++i) {
    const TensorDiff &x = r1->tensors[i], &y = r2->tensors[i];
    EXPECT_EQ(x.status, y.status) << x.name;
    EXPECT_EQ(x.mismatches, y.mismatches) << x.name;
    ASSERT_EQ(x.first_mismatches.size(), y.first_mismatches.size()) << x.name;
    for (size_t k = 0; k < x.first_mismatches.size(); ++k)
      EXPECT_EQ(x.first_mismatches[k].flat, y.first_mismatches[k].flat);
    EXPECT_EQ(x.diagnosis.has_value(), y.diagnosis.has_value()) << x.name;
    if (x.diagnosis && y.diagnosis) {
      EXPECT_EQ(x.diagnosis->kind, y.diagnosis->kind) << x.name;
    }
  }
  EXPECT_EQ(find_tensor(*r2, "tok_embeddings.weight")->first_mismatches[0].index, (std::vector<uint64_t>{62, 32}));
  EXPECT_EQ(find_tensor(*r2, "layers.1.attention.wq.weight")->diagnosis->kind, DiagnosisKind::rotary_permutation);
}

}  // namespace
}  // namespace ckpt::test

namespace ckpt::test {
namespace {

TEST(DiffCompare, EveryLayoutOfTheSameWeightsComparesEqual) {
  const ModelConfig c = gqa_config();
  const std::vector<Format> formats = {llama2c::v0, llama2c::ak42_v1_fp32, llama2c::ak42_v1_q8_0, llama2c::ak42_v2_q8_0,
                                       llama2c::ak42_v2_q8_0_scales_last};
  for (Format fa : formats)
    for (Format fb : formats) {
      auto r = diff_memory(write_bytes(fa, c), write_bytes(fb, c));
      ASSERT_TRUE(r) << format_name(fa) << " " << format_name(fb);
      EXPECT_EQ(r->format_b, fb);
      EXPECT_TRUE(r->equal()) << format_name(fa) << " vs " << format_name(fb) << ": " << differing(*r).size();
      // Q8_0 against Q8_0 is exact on the dequantized values.
      if (llama2c::is_q8(fa) && llama2c::is_q8(fb)) {
        EXPECT_EQ(find_tensor(*r, "layers.0.attention.wq.weight")->rule, "exact");
        EXPECT_EQ(find_tensor(*r, "layers.0.attention.wq.weight")->max_abs->value, 0.0);
      }
    }
}

}  // namespace
}  // namespace ckpt::test
