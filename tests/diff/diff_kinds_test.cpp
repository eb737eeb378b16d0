// The catalogue of diagnosis kinds: every kind has a stable, unique name and a meaning,
// and every kind is produced, exactly, by one constructed pair (the detailed tests of
// each are in diff_diagnose_test.cpp and diff_layout_test.cpp).
#include <functional>
#include <regex>
#include <set>

#include "diff_test_util.hpp"
#include "llama2c/formats.hpp"

namespace ckpt::test {
namespace {

TEST(DiffKinds, NamesAreUniqueAndExplained) {
  std::set<std::string_view> names;
  const std::regex id("[a-z]+(_[a-z]+)*");
  for (const auto& k : diagnosis_kinds()) {
    EXPECT_TRUE(names.insert(k.name).second) << k.name;
    EXPECT_TRUE(std::regex_match(std::string(k.name), id)) << k.name;
    EXPECT_FALSE(k.meaning.empty()) << k.name;
    EXPECT_EQ(diagnosis_kind_name(k.kind), k.name);
  }
  EXPECT_EQ(names.size(), size_t(DiagnosisKind::untied_classifier) + 1);  // every enumerator is listed
  EXPECT_EQ(diagnosis_kind_name(DiagnosisKind(-1)), "unknown");
}

// One pair that must produce exactly this kind for `tensor`.
struct Case {
  DiagnosisKind kind;
  std::string tensor;
  std::function<Result<DiffReport>()> run;
};

const ModelConfig kC = gqa_config();  // dim 64, hidden 172, 8 heads of 8, 4 kv heads, 2 layers

// A pair of fp32 files, B's weights changed by `change`.
Result<DiffReport> changed(const std::function<void(MemoryWeights&)>& change, Format fb = llama2c::ak42_v1_fp32) {
  MemoryWeights a = make_weights(kC), b = a;
  change(b);
  return diff_memory(write_bytes(llama2c::v0, kC, a), write_bytes(fb, kC, b));
}

std::vector<float>& w(MemoryWeights& m, const std::string& name) { return m.tensors.at(name); }

std::vector<Case> cases() {
  const std::string wq = "layers.0.attention.wq.weight", wo = "layers.1.attention.wo.weight",
                    w1 = "layers.0.feed_forward.w1.weight", w2 = "layers.1.feed_forward.w2.weight",
                    w3 = "layers.0.feed_forward.w3.weight";
  return {
      {DiagnosisKind::truncated, "layers.1.feed_forward.w3.weight",
       [] {
         auto a = write_bytes(llama2c::v0, kC), b = a;
         b.resize(b.size() - 30000);  // inside the last w3 (v0 ends with w3s, norm, RoPE tables)
         return diff_memory(a, b);
       }},
      {DiagnosisKind::padded, "tok_embeddings.weight",
       [] {
         ModelConfig small = kC, padded = kC;
         small.vocab_size = 70;  // padded with 26 zero rows to 96
         MemoryWeights a = make_weights(small), b = a;
         w(b, "tok_embeddings.weight").resize(96 * 64, 0.0f);
         return diff_memory(write_bytes(llama2c::v0, small, a), write_bytes(llama2c::v0, padded, b));
       }},
      {DiagnosisKind::zero_filled, w3,
       [=] { return changed([=](MemoryWeights& m) { w(m, w3).assign(172 * 64, 0.0f); }); }},
      {DiagnosisKind::sign_flipped, w3,
       [=] { return changed([=](MemoryWeights& m) { w(m, w3) = map_values(w(m, w3), [](float x) { return -x; }); }); }},
      {DiagnosisKind::scaled, w3,
       [=] {
         return changed([=](MemoryWeights& m) { w(m, w3) = map_values(w(m, w3), [](float x) { return 0.5f * x; }); });
       }},
      {DiagnosisKind::rounded, w3,
       [=] { return changed([=](MemoryWeights& m) { w(m, w3) = map_values(w(m, w3), bf16_rne); }); }},
      {DiagnosisKind::quantized, w3,
       [=] { return changed([=](MemoryWeights& m) { w(m, w3) = q8_round_trip(w(m, w3), 32); }); }},
      {DiagnosisKind::transposed, w1,
       [=] { return changed([=](MemoryWeights& m) { w(m, w1) = transpose(w(m, w1), 172, 64); }); }},
      {DiagnosisKind::reshaped_transposed, w1,
       [=] { return changed([=](MemoryWeights& m) { w(m, w1) = transpose(w(m, w1), 344, 32); }); }},
      {DiagnosisKind::rotary_permutation, wq,
       [=] { return changed([=](MemoryWeights& m) { w(m, wq) = hf_to_meta(w(m, wq), 8, 64); }); }},
      {DiagnosisKind::tilized, wo,
       [=] { return changed([=](MemoryWeights& m) { w(m, wo) = tilize(w(m, wo), 64, 64); }); }},
      {DiagnosisKind::untilized, wo,
       [=] { return changed([=](MemoryWeights& m) { w(m, wo) = untilize(w(m, wo), 64, 64); }); }},
      {DiagnosisKind::rows_permuted, wq,
       [=] {
         return changed([=](MemoryWeights& m) {
           w(m, wq) = permute_rows(w(m, wq), 64, block_order({7, 0, 1, 2, 3, 4, 5, 6}, 8));
         });
       }},
      {DiagnosisKind::columns_permuted, w2,
       [=] { return changed([=](MemoryWeights& m) { w(m, w2) = permute_cols(w(m, w2), 172, shuffled(172, 5)); }); }},
      {DiagnosisKind::permuted, w2,
       [=] {
         return changed([=](MemoryWeights& m) {
           auto& v = w(m, w2);
           std::swap(v[3], v[4000]);
         });
       }},
      {DiagnosisKind::layers_shifted, wo,
       [=] { return changed([=](MemoryWeights& m) { w(m, wo) = w(m, "layers.0.attention.wo.weight"); }); }},
      {DiagnosisKind::swapped, w1, [=] { return changed([=](MemoryWeights& m) { w(m, w1) = w(m, w3); }); }},
      {DiagnosisKind::shared_classifier, "output.weight",
       [] {
         ModelConfig untied = kC;
         untied.shared_classifier = false;
         MemoryWeights m = make_weights(kC);
         m.tensors["output.weight"] = m.tensors.at("tok_embeddings.weight");
         return diff_memory(write_bytes(llama2c::v0, untied, m), write_bytes(llama2c::v0, kC, m));
       }},
      {DiagnosisKind::untied_classifier, "output.weight",
       [] {
         ModelConfig untied = kC;
         untied.shared_classifier = false;
         return diff_memory(write_bytes(llama2c::v0, untied), write_bytes(llama2c::v0, kC));
       }},
  };
}

TEST(DiffKinds, EveryKindIsProducedByItsCase) {
  std::set<DiagnosisKind> covered;
  for (const Case& c : cases()) {
    SCOPED_TRACE(std::string(diagnosis_kind_name(c.kind)));
    auto r = c.run();
    ASSERT_TRUE(r) << r.error().message;
    const TensorDiff* t = find_tensor(*r, c.tensor);
    ASSERT_NE(t, nullptr);
    ASSERT_TRUE(t->diagnosis) << c.tensor;
    EXPECT_EQ(t->diagnosis->kind, c.kind) << t->diagnosis->detail;
    // No other tensor gets a diagnosis it does not deserve: only the changed tensor (and
    // for truncation and the classifier, the tensors the same cause explains) has one.
    for (const auto& other : r->tensors)
      if (other.diagnosis && other.name != c.tensor && c.kind != DiagnosisKind::truncated)
        ADD_FAILURE() << other.name << ": " << other.diagnosis->name() << ": " << other.diagnosis->detail;
    covered.insert(c.kind);
  }
  for (const auto& k : diagnosis_kinds()) EXPECT_TRUE(covered.count(k.kind)) << "no case for " << k.name;
}

}  // namespace
}  // namespace ckpt::test
