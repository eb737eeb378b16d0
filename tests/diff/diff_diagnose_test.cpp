// Diagnoses on constructed cases: each known mistake applied to real-looking weights
// must be named, with its parameters (direction, factor, shift, other tensor).
#include "diff_test_util.hpp"
#include "llama2c/formats.hpp"

namespace ckpt::test {
namespace {

struct Case {
  ModelConfig c;
  MemoryWeights a, b;
};

Case make_case(ModelConfig c = gqa_config()) { return Case{c, make_weights(c), make_weights(c)}; }

DiffReport run(const Case& k, Format fb = llama2c::ak42_v1_fp32) {
  auto r = diff_memory(write_bytes(llama2c::v0, k.c, k.a), write_bytes(fb, k.c, k.b));
  EXPECT_TRUE(r) << r.error().message;
  return *r;
}

const Diagnosis& diagnosis_of(const DiffReport& r, const std::string& name) {
  static const Diagnosis none = [] {
    Diagnosis d;
    d.kind = DiagnosisKind(-1);  // prints as "unknown": matches no expected kind
    return d;
  }();
  const TensorDiff* t = find_tensor(r, name);
  EXPECT_NE(t, nullptr) << name;
  if (!t || !t->diagnosis) return none;
  return *t->diagnosis;
}

TEST(DiffDiagnose, TransposedSquareMatrix) {
  Case k = make_case();
  auto& wo = tensor(k.b, "layers.1.attention.wo.weight");
  wo = transpose(wo, 64, 64);
  DiffReport r = run(k);
  EXPECT_EQ(differing(r), std::vector<std::string>{"layers.1.attention.wo.weight"});
  const Diagnosis& d = diagnosis_of(r, "layers.1.attention.wo.weight");
  EXPECT_EQ(d.kind, DiagnosisKind::transposed);
  EXPECT_EQ(d.checked, 4096u);  // every element of a 64 x 64 matrix
}

TEST(DiffDiagnose, TransposedDataUnderTheSameShape) {
  // Another project wrote w1 (172, 64) as its (64, 172) transpose; the header is unchanged.
  Case k = make_case();
  auto& w1 = tensor(k.b, "layers.0.feed_forward.w1.weight");
  w1 = transpose(w1, 172, 64);
  DiffReport r = run(k);
  const Diagnosis& d = diagnosis_of(r, "layers.0.feed_forward.w1.weight");
  EXPECT_EQ(d.kind, DiagnosisKind::transposed);
  EXPECT_NE(d.detail.find("(64, 172) transpose"), std::string::npos) << d.detail;
}

TEST(DiffDiagnose, RotaryPermutationOfWqAndWkBothDirections) {
  Case k = make_case();  // head size 8: the permutation and its inverse differ
  auto& wq = tensor(k.b, "layers.0.attention.wq.weight");
  wq = hf_to_meta(wq, 8, 64);
  auto& wk = tensor(k.b, "layers.1.attention.wk.weight");  // (32, 64): 4 kv heads
  wk = meta_to_hf(wk, 8, 64);
  DiffReport r = run(k);
  EXPECT_EQ(differing(r), (std::vector<std::string>{"layers.0.attention.wq.weight", "layers.1.attention.wk.weight"}));
  const Diagnosis& q = diagnosis_of(r, "layers.0.attention.wq.weight");
  EXPECT_EQ(q.kind, DiagnosisKind::rotary_permutation);
  EXPECT_EQ(q.direction, "hf_to_meta");
  const Diagnosis& kk = diagnosis_of(r, "layers.1.attention.wk.weight");
  EXPECT_EQ(kk.kind, DiagnosisKind::rotary_permutation);
  EXPECT_EQ(kk.direction, "meta_to_hf");
  // Swapping A and B swaps the direction.
  auto back = diff_memory(write_bytes(llama2c::ak42_v1_fp32, k.c, k.b), write_bytes(llama2c::v0, k.c, k.a));
  EXPECT_EQ(diagnosis_of(*back, "layers.0.attention.wq.weight").direction, "meta_to_hf");
}

TEST(DiffDiagnose, RotaryPermutationAgainstAQ8File) {
  Case k = make_case();
  auto& wq = tensor(k.b, "layers.1.attention.wq.weight");
  wq = hf_to_meta(wq, 8, 64);
  DiffReport r = run(k, llama2c::ak42_v2_q8_0);
  EXPECT_EQ(differing(r), std::vector<std::string>{"layers.1.attention.wq.weight"});
  EXPECT_EQ(diagnosis_of(r, "layers.1.attention.wq.weight").kind, DiagnosisKind::rotary_permutation);
}

TEST(DiffDiagnose, SwappedW1AndW3) {
  Case k = make_case();
  std::swap(tensor(k.b, "layers.1.feed_forward.w1.weight"), tensor(k.b, "layers.1.feed_forward.w3.weight"));
  for (Format f : {llama2c::ak42_v1_fp32, llama2c::ak42_v2_q8_0}) {
    DiffReport r = run(k, f);
    EXPECT_EQ(differing(r),
              (std::vector<std::string>{"layers.1.feed_forward.w1.weight", "layers.1.feed_forward.w3.weight"}));
    const Diagnosis& d1 = diagnosis_of(r, "layers.1.feed_forward.w1.weight");
    EXPECT_EQ(d1.kind, DiagnosisKind::swapped) << format_name(f);
    EXPECT_EQ(d1.other, "layers.1.feed_forward.w3.weight");
    EXPECT_EQ(diagnosis_of(r, "layers.1.feed_forward.w3.weight").other, "layers.1.feed_forward.w1.weight");
  }
}

TEST(DiffDiagnose, LayersShifted) {
  ModelConfig c = gqa_config();
  c.n_layers = 4;
  Case k = make_case(c);
  for (int i = 0; i < 3; ++i)
    tensor(k.b, "layers." + std::to_string(i) + ".attention.wv.weight") =
        tensor(k.a, "layers." + std::to_string(i + 1) + ".attention.wv.weight");
  DiffReport r = run(k);
  for (int i = 0; i < 3; ++i) {
    const Diagnosis& d = diagnosis_of(r, "layers." + std::to_string(i) + ".attention.wv.weight");
    EXPECT_EQ(d.kind, DiagnosisKind::layers_shifted);
    EXPECT_EQ(d.shift, 1);
    EXPECT_EQ(d.other, "layers." + std::to_string(i + 1) + ".attention.wv.weight");
  }
  EXPECT_EQ(find_tensor(r, "layers.3.attention.wv.weight")->status, DiffStatus::equal);
}

TEST(DiffDiagnose, ScaledByAConstantAndSignFlipped) {
  Case k = make_case();
  for (float& v : tensor(k.b, "layers.0.attention.wo.weight")) v *= 2.0f;
  for (float& v : tensor(k.b, "layers.1.attention.wo.weight")) v *= 0.3f;
  for (float& v : tensor(k.b, "layers.0.feed_forward.w2.weight")) v = -v;
  for (float& v : tensor(k.b, "norm.weight")) v = -v;
  DiffReport r = run(k);
  const Diagnosis& s2 = diagnosis_of(r, "layers.0.attention.wo.weight");
  EXPECT_EQ(s2.kind, DiagnosisKind::scaled);
  EXPECT_NEAR(*s2.factor, 2.0, 1e-9);
  const Diagnosis& s3 = diagnosis_of(r, "layers.1.attention.wo.weight");
  EXPECT_EQ(s3.kind, DiagnosisKind::scaled);
  EXPECT_NEAR(*s3.factor, 0.3, 1e-6);
  EXPECT_EQ(diagnosis_of(r, "layers.0.feed_forward.w2.weight").kind, DiagnosisKind::sign_flipped);
  EXPECT_EQ(diagnosis_of(r, "norm.weight").kind, DiagnosisKind::sign_flipped);
  // Against a Q8_0 file the quantization noise stays within each group's bound.
  DiffReport q = run(k, llama2c::ak42_v2_q8_0);
  EXPECT_EQ(diagnosis_of(q, "layers.0.attention.wo.weight").kind, DiagnosisKind::scaled);
  EXPECT_NEAR(*diagnosis_of(q, "layers.0.attention.wo.weight").factor, 2.0, 1e-3);
  EXPECT_EQ(diagnosis_of(q, "layers.0.feed_forward.w2.weight").kind, DiagnosisKind::sign_flipped);
}

TEST(DiffDiagnose, ZeroFilledWholeOrInPart) {
  Case k = make_case();
  for (float& v : tensor(k.b, "layers.0.feed_forward.w3.weight")) v = 0.0f;
  auto& w2 = tensor(k.b, "layers.1.feed_forward.w2.weight");  // (64, 172): rows 10..19 zeroed
  std::fill(w2.begin() + 10 * 172, w2.begin() + 20 * 172, 0.0f);
  DiffReport r = run(k);
  const Diagnosis& whole = diagnosis_of(r, "layers.0.feed_forward.w3.weight");
  EXPECT_EQ(whole.kind, DiagnosisKind::zero_filled);
  EXPECT_EQ(whole.detail, "B is all zeros");
  const Diagnosis& part = diagnosis_of(r, "layers.1.feed_forward.w2.weight");
  EXPECT_EQ(part.kind, DiagnosisKind::zero_filled);
  EXPECT_EQ(part.detail, "B is zero at all 1720 mismatching elements, the first at [10, 0]");
}

TEST(DiffDiagnose, TruncatedFile) {
  const ModelConfig c = gqa_config();
  auto a = write_bytes(llama2c::ak42_v1_fp32, c), b = a;
  auto cp = open_bytes(a);
  const TensorInfo* w2 = cp->find("layers.0.feed_forward.w2.weight");
  ASSERT_NE(w2, nullptr);
  const uint64_t cut = w2->place.offset + 4 * 1000 + 2;  // mid-element 1000
  b.resize(cut);
  auto r = diff_memory(a, b);
  ASSERT_TRUE(r);
  const TensorDiff* t = find_tensor(*r, "layers.0.feed_forward.w2.weight");
  EXPECT_EQ(t->status, DiffStatus::differs);
  EXPECT_EQ(t->compared, 1000u);
  EXPECT_EQ(t->mismatches, 0u);
  EXPECT_EQ(t->missing, 64u * 172u - 1000u);
  ASSERT_TRUE(t->diagnosis);
  EXPECT_EQ(t->diagnosis->kind, DiagnosisKind::truncated);
  EXPECT_NE(t->diagnosis->detail.find("B's file is truncated"), std::string::npos) << t->diagnosis->detail;
  EXPECT_NE(t->diagnosis->detail.find("ends at byte " + std::to_string(cut)), std::string::npos)
      << t->diagnosis->detail;
  // Later tensors are entirely missing, earlier ones equal.
  const TensorDiff* w3 = find_tensor(*r, "layers.1.feed_forward.w3.weight");
  EXPECT_EQ(w3->compared, 0u);
  EXPECT_EQ(w3->status, DiffStatus::differs);
  EXPECT_EQ(w3->diagnosis->kind, DiagnosisKind::truncated);
  EXPECT_EQ(find_tensor(*r, "layers.1.feed_forward.w1.weight")->status, DiffStatus::equal);
}

TEST(DiffDiagnose, NoDiagnosisForUnrelatedNoise) {
  Case k = make_case();
  k.b = make_weights(k.c, 7);  // entirely different weights
  DiffReport r = run(k);
  for (const auto& t : r.tensors) {
    if (!t.is_difference()) continue;
    EXPECT_FALSE(t.diagnosis.has_value()) << t.name << ": " << (t.diagnosis ? t.diagnosis->detail : "");
  }
}

}  // namespace
}  // namespace ckpt::test

namespace ckpt::test {
namespace {

TEST(DiffDiagnose, ClassifierPresentInOneFileOnly) {
  ModelConfig shared = gqa_config(), untied = gqa_config();
  untied.shared_classifier = false;
  MemoryWeights w = make_weights(shared);
  w.tensors["output.weight"] = tensor(w, "tok_embeddings.weight");  // untied, but a copy
  auto r = diff_memory(write_bytes(llama2c::v0, untied, w), write_bytes(llama2c::ak42_v2_q8_0, shared, w));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->config.size(), 1u);
  EXPECT_EQ(r->config[0].field, "shared_classifier");
  const TensorDiff* out = find_tensor(*r, "output.weight");
  EXPECT_EQ(out->status, DiffStatus::only_in_a);
  ASSERT_TRUE(out->diagnosis);
  EXPECT_EQ(out->diagnosis->kind, DiagnosisKind::shared_classifier);
  EXPECT_EQ(out->diagnosis->detail,
            "B shares its classifier with tok_embeddings; A's output.weight equals B's tok_embeddings.weight");
  EXPECT_TRUE(out->layout_only);  // the same model: only the config difference remains
  EXPECT_FALSE(r->equal());
  tensor(w, "output.weight")[17] += 0.5f;
  auto r2 = diff_memory(write_bytes(llama2c::v0, untied, w), write_bytes(llama2c::ak42_v1_fp32, shared, w));
  const TensorDiff* out2 = find_tensor(*r2, "output.weight");
  EXPECT_EQ(out2->diagnosis->kind, DiagnosisKind::untied_classifier);
  EXPECT_NE(out2->diagnosis->detail.find("differs from"), std::string::npos);
  EXPECT_FALSE(out2->layout_only);
}

}  // namespace
}  // namespace ckpt::test

namespace ckpt::test {
namespace {

// Every diagnosis is checked under the element rule, so it must survive quantization:
// the mistake applied before writing a Q8_0 file, compared against the fp32 original.
TEST(DiffDiagnose, DiagnosesHoldAgainstAQ8File) {
  ModelConfig c = gqa_config();
  c.n_layers = 3;
  Case k = make_case(c);
  auto& wo = tensor(k.b, "layers.0.attention.wo.weight");
  wo = transpose(wo, 64, 64);
  for (float& v : tensor(k.b, "layers.1.feed_forward.w3.weight")) v = 0.0f;
  tensor(k.b, "layers.2.attention.wv.weight") = tensor(k.a, "layers.1.attention.wv.weight");
  auto& wk = tensor(k.b, "layers.2.attention.wk.weight");
  wk = meta_to_hf(wk, 8, 64);
  DiffReport r = run(k, llama2c::ak42_v2_q8_0);
  EXPECT_EQ(differing(r).size(), 4u);
  EXPECT_EQ(diagnosis_of(r, "layers.0.attention.wo.weight").kind, DiagnosisKind::transposed);
  EXPECT_EQ(diagnosis_of(r, "layers.1.feed_forward.w3.weight").kind, DiagnosisKind::zero_filled);
  EXPECT_EQ(diagnosis_of(r, "layers.2.attention.wv.weight").kind, DiagnosisKind::layers_shifted);
  EXPECT_EQ(diagnosis_of(r, "layers.2.attention.wv.weight").shift, -1);
  EXPECT_EQ(diagnosis_of(r, "layers.2.attention.wk.weight").direction, "meta_to_hf");
}

}  // namespace
}  // namespace ckpt::test

namespace ckpt::test {
namespace {

TEST(DiffDiagnose, TruncatedQ8FileComparesItsCompleteGroups) {
  const ModelConfig c = gqa_config();  // group size 64
  auto q8 = write_bytes(llama2c::ak42_v2_q8_0, c);
  auto cp = open_bytes(q8);
  const TensorInfo* wo = cp->find("layers.1.attention.wo.weight");  // interleaved: int8 then its scales
  q8.resize(wo->place.scale_offset + 4 * 3 + 2);                    // three whole scales, a fourth cut
  auto r = diff_memory(write_bytes(llama2c::v0, c), q8);
  ASSERT_TRUE(r);
  const TensorDiff* t = find_tensor(*r, "layers.1.attention.wo.weight");
  EXPECT_EQ(t->compared, 3u * 64u);
  EXPECT_EQ(t->mismatches, 0u);  // within each group's bound
  EXPECT_EQ(t->missing, 64u * 64u - 192u);
  EXPECT_EQ(t->status, DiffStatus::differs);
  ASSERT_TRUE(t->diagnosis);
  EXPECT_EQ(t->diagnosis->kind, DiagnosisKind::truncated);
  EXPECT_NE(t->diagnosis->detail.find("192 of 4096 elements present, those are equal"), std::string::npos)
      << t->diagnosis->detail;
  EXPECT_EQ(find_tensor(*r, "layers.0.attention.wo.weight")->status, DiffStatus::equal);
}

}  // namespace
}  // namespace ckpt::test
