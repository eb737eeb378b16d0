// Layout and rounding diagnoses: matrices re-laid out the ways ports of llama2.c to other
// hardware write them (transposed under the original shape, 32x32 tiles with and without
// padding, heads reordered, rows or columns moved, A reshaped and transposed, any other
// order), and values rounded to bf16/fp16 or through Q8_0. Each must be named with its
// parameters; equal pairs and pairs with one changed element must get no such name.
#include "diff_test_util.hpp"
#include "llama2c/formats.hpp"

namespace ckpt::test {
namespace {

// dim 64, hidden 192, 8 heads of 8, 4 kv heads: every matrix dim a multiple of 32.
ModelConfig tile_config() {
  ModelConfig c = gqa_config();
  c.hidden_dim = 192;
  return c;
}

DiffReport run(const ModelConfig& c, const MemoryWeights& a, const MemoryWeights& b, Format fa = llama2c::v0,
               Format fb = llama2c::ak42_v1_fp32, DiffOptions opt = {}) {
  ModelConfig cb = c;
  auto r = diff_memory(write_bytes(fa, c, a), write_bytes(fb, cb, b), opt);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : DiffReport{};
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

std::string kinds(const DiffReport& r) {
  std::string s;
  for (const auto& t : r.tensors)
    if (t.diagnosis) s += t.name + ": " + std::string(t.diagnosis->name()) + "; ";
  return s;
}

// ---- transposes ----------------------------------------------------------------------

TEST(DiffLayout, NonSquareMatricesTransposedUnderTheirOriginalShape) {
  const ModelConfig c = gqa_config();
  MemoryWeights a = make_weights(c), b = a;
  tensor(b, "layers.0.attention.wk.weight") = transpose(tensor(a, "layers.0.attention.wk.weight"), 32, 64);
  tensor(b, "layers.1.feed_forward.w1.weight") = transpose(tensor(a, "layers.1.feed_forward.w1.weight"), 172, 64);
  tensor(b, "layers.0.feed_forward.w2.weight") = transpose(tensor(a, "layers.0.feed_forward.w2.weight"), 64, 172);
  DiffReport r = run(c, a, b);
  EXPECT_EQ(differing(r).size(), 3u) << kinds(r);
  const Diagnosis& wk = diagnosis_of(r, "layers.0.attention.wk.weight");
  EXPECT_EQ(wk.kind, DiagnosisKind::transposed);
  EXPECT_EQ(wk.detail, "B holds A^T: A is (32, 64) and B's data is the (64, 32) transpose under the same shape");
  EXPECT_EQ(wk.checked, 2048u);
  EXPECT_EQ(diagnosis_of(r, "layers.1.feed_forward.w1.weight").kind, DiagnosisKind::transposed);
  EXPECT_EQ(diagnosis_of(r, "layers.0.feed_forward.w2.weight").detail,
            "B holds A^T: A is (64, 172) and B's data is the (172, 64) transpose under the same shape");
}

TEST(DiffLayout, ReshapedAndTransposed) {
  // w1 (172, 64) = 11008 elements read as a (256, 43) matrix and transposed.
  const ModelConfig c = gqa_config();
  MemoryWeights a = make_weights(c), b = a;
  tensor(b, "layers.0.feed_forward.w1.weight") = transpose(tensor(a, "layers.0.feed_forward.w1.weight"), 256, 43);
  DiffReport r = run(c, a, b);
  const Diagnosis& d = diagnosis_of(r, "layers.0.feed_forward.w1.weight");
  EXPECT_EQ(d.kind, DiagnosisKind::reshaped_transposed) << d.detail;
  EXPECT_EQ(d.shape, (std::vector<uint64_t>{256, 43}));
  EXPECT_EQ(d.detail,
            "B = (A reshaped to (256, 43))^T: B's data is the (43, 256) transpose of A's elements read as a (256, 43) "
            "matrix");
  ASSERT_TRUE(d.fingerprint);
  EXPECT_EQ(d.fingerprint->count, 172u * 64u);
  EXPECT_EQ(d.checked, 3408u);  // the sample of an 11008-element tensor: 4096 positions drawn, 3408 distinct
}

// ---- tiles -----------------------------------------------------------------------------

TEST(DiffLayout, TilizedAndUntilizedW1WithDimsMultiplesOf32) {
  const ModelConfig c = tile_config();  // w1 (192, 64): 12 tiles, no padding
  MemoryWeights a = make_weights(c), b = a;
  auto& w1 = tensor(a, "layers.0.feed_forward.w1.weight");
  tensor(b, "layers.0.feed_forward.w1.weight") = tilize(w1, 192, 64);
  auto& w3 = tensor(a, "layers.1.feed_forward.w3.weight");  // B is A's data read back from tiles
  tensor(b, "layers.1.feed_forward.w3.weight") = untilize(w3, 192, 64);
  auto& wq = tensor(a, "layers.1.attention.wq.weight");  // a device layout of W^T: tiles of the transpose
  tensor(b, "layers.1.attention.wq.weight") = tilize(transpose(wq, 64, 64), 64, 64);
  DiffReport r = run(c, a, b);
  EXPECT_EQ(differing(r).size(), 3u) << kinds(r);
  const Diagnosis& t = diagnosis_of(r, "layers.0.feed_forward.w1.weight");
  EXPECT_EQ(t.kind, DiagnosisKind::tilized) << t.detail;
  EXPECT_EQ(t.shape, (std::vector<uint64_t>{192, 64}));
  EXPECT_FALSE(t.of_transpose);
  EXPECT_EQ(t.tile, 32u);
  EXPECT_EQ(t.face, 16u);
  EXPECT_EQ(t.detail, "B's data is A in 32x32 tiles (four 16x16 faces each), read as row-major");
  ASSERT_TRUE(t.fingerprint);
  const Diagnosis& u = diagnosis_of(r, "layers.1.feed_forward.w3.weight");
  EXPECT_EQ(u.kind, DiagnosisKind::untilized) << u.detail;
  EXPECT_EQ(u.detail, "A's data is B in 32x32 tiles (four 16x16 faces each): B holds A's tiles read back row-major");
  const Diagnosis& q = diagnosis_of(r, "layers.1.attention.wq.weight");
  EXPECT_EQ(q.kind, DiagnosisKind::tilized) << q.detail;
  EXPECT_TRUE(q.of_transpose);
  EXPECT_EQ(q.detail, "B's data is A^T (64, 64) in 32x32 tiles (four 16x16 faces each), read as row-major");
}

TEST(DiffLayout, TilesWithoutFacesAndOtherTileSizes) {
  // Row-major 32x32 tiles (no 16x16 faces) both ways, and the blocked layouts of other
  // accelerators: 8x8 and 16x16 tiles, and 4x4 of the transpose.
  const ModelConfig c = tile_config();
  MemoryWeights a = make_weights(c), b = a;
  tensor(b, "layers.0.feed_forward.w2.weight") = tilize(tensor(a, "layers.0.feed_forward.w2.weight"), 64, 192, 32);
  tensor(b, "layers.1.feed_forward.w2.weight") = untilize(tensor(a, "layers.1.feed_forward.w2.weight"), 64, 192, 32);
  tensor(b, "layers.0.feed_forward.w1.weight") = tilize(tensor(a, "layers.0.feed_forward.w1.weight"), 192, 64, 8, 8);
  tensor(b, "layers.1.feed_forward.w1.weight") = tilize(tensor(a, "layers.1.feed_forward.w1.weight"), 192, 64, 16, 16);
  tensor(b, "layers.0.feed_forward.w3.weight") =
      tilize(transpose(tensor(a, "layers.0.feed_forward.w3.weight"), 192, 64), 64, 192, 4, 4);
  DiffReport r = run(c, a, b);
  EXPECT_EQ(differing(r).size(), 5u) << kinds(r);
  const Diagnosis& t = diagnosis_of(r, "layers.0.feed_forward.w2.weight");
  EXPECT_EQ(t.kind, DiagnosisKind::tilized) << t.detail;
  EXPECT_EQ(t.tile, 32u);
  EXPECT_EQ(t.face, 32u);
  EXPECT_EQ(t.detail, "B's data is A in 32x32 tiles (row-major inside each tile), read as row-major");
  const Diagnosis& u = diagnosis_of(r, "layers.1.feed_forward.w2.weight");
  EXPECT_EQ(u.kind, DiagnosisKind::untilized) << u.detail;
  EXPECT_EQ(u.face, 32u);
  const Diagnosis& t8 = diagnosis_of(r, "layers.0.feed_forward.w1.weight");
  EXPECT_EQ(t8.kind, DiagnosisKind::tilized) << t8.detail;
  EXPECT_EQ(t8.tile, 8u);
  EXPECT_EQ(t8.detail, "B's data is A in 8x8 tiles (row-major inside each tile), read as row-major");
  EXPECT_EQ(diagnosis_of(r, "layers.1.feed_forward.w1.weight").tile, 16u);
  const Diagnosis& t4 = diagnosis_of(r, "layers.0.feed_forward.w3.weight");
  EXPECT_EQ(t4.kind, DiagnosisKind::tilized) << t4.detail;
  EXPECT_EQ(t4.tile, 4u);
  EXPECT_TRUE(t4.of_transpose);
  EXPECT_EQ(t4.shape, (std::vector<uint64_t>{64, 192}));
}

TEST(DiffLayout, TilesOfAQ8FileAgainstFp32) {
  // The tiling happened before quantization: the values differ by the quantization, so
  // the fingerprints cannot agree; the tile order is still found under the Q8_0 bound.
  const ModelConfig c = tile_config();
  MemoryWeights a = make_weights(c), b = a;
  tensor(b, "layers.0.attention.wo.weight") = tilize(tensor(a, "layers.0.attention.wo.weight"), 64, 64);
  DiffReport r = run(c, a, b, llama2c::v0, llama2c::ak42_v2_q8_0);
  EXPECT_EQ(differing(r), std::vector<std::string>{"layers.0.attention.wo.weight"});
  const Diagnosis& d = diagnosis_of(r, "layers.0.attention.wo.weight");
  EXPECT_EQ(d.kind, DiagnosisKind::tilized);
  EXPECT_FALSE(d.fingerprint);
}

// w1 (172, 64) does not tile: a device port pads it to (192, 64) and stores the padded
// tiles under that shape (a format with shapes per tensor, as tt-train's or safetensors).
TEST(DiffLayout, TilesPaddedWhenRowsAreNotAMultipleOf32) {
  const ModelConfig c = gqa_config();
  const MemoryWeights w = make_weights(c);
  const auto& w1 = w.tensors.at("layers.0.feed_forward.w1.weight");
  const auto& w2 = w.tensors.at("layers.0.feed_forward.w2.weight");  // (64, 172): the columns pad
  const auto& norm = w.tensors.at("norm.weight");
  const Checkpoint a = free_checkpoint({{"layers.0.feed_forward.w1.weight", {172, 64}, w1},
                                        {"layers.0.feed_forward.w2.weight", {64, 172}, w2},
                                        {"norm.weight", {64}, norm}},
                                       "A");
  const Checkpoint b = free_checkpoint({{"layers.0.feed_forward.w1.weight", {192, 64}, tilize(w1, 172, 64)},
                                        {"layers.0.feed_forward.w2.weight", {64, 192}, tilize(w2, 64, 172)},
                                        {"norm.weight", {64}, norm}},
                                       "B");
  auto r = diff_checkpoints(a, b, {});
  ASSERT_TRUE(r);
  const TensorDiff* t1 = find_tensor(*r, "layers.0.feed_forward.w1.weight");
  EXPECT_EQ(t1->status, DiffStatus::shape_mismatch);  // 20 extra rows that are not zero padding
  ASSERT_TRUE(t1->diagnosis) << kinds(*r);
  EXPECT_EQ(t1->diagnosis->kind, DiagnosisKind::tilized);
  EXPECT_EQ(t1->diagnosis->shape, (std::vector<uint64_t>{192, 64}));
  EXPECT_EQ(
      t1->diagnosis->detail,
      "B's data is A in 32x32 tiles (four 16x16 faces each), read as row-major; the tiles are padded to (192, 64)");
  const TensorDiff* t2 = find_tensor(*r, "layers.0.feed_forward.w2.weight");
  EXPECT_EQ(t2->status, DiffStatus::shape_mismatch);
  ASSERT_TRUE(t2->diagnosis);
  EXPECT_EQ(t2->diagnosis->kind, DiagnosisKind::tilized);
  EXPECT_EQ(t2->diagnosis->shape, (std::vector<uint64_t>{64, 192}));
  EXPECT_EQ(find_tensor(*r, "norm.weight")->status, DiffStatus::equal);
  // The reverse: A is the device's padded tiles, B the row-major matrix.
  auto back = diff_checkpoints(b, a, {});
  ASSERT_TRUE(back);
  const TensorDiff* u1 = find_tensor(*back, "layers.0.feed_forward.w1.weight");
  ASSERT_TRUE(u1->diagnosis) << kinds(*back);
  EXPECT_EQ(u1->diagnosis->kind, DiagnosisKind::untilized);
  EXPECT_EQ(u1->diagnosis->shape, (std::vector<uint64_t>{192, 64}));
  EXPECT_EQ(find_tensor(*back, "layers.0.feed_forward.w2.weight")->diagnosis->kind, DiagnosisKind::untilized);
}

// ---- rows and columns ------------------------------------------------------------------

TEST(DiffLayout, HeadsReorderedInRowsAndInColumns) {
  const ModelConfig c = gqa_config();  // head size 8: wq has 8 heads of rows, wo 8 of columns
  MemoryWeights a = make_weights(c), b = a;
  const std::vector<uint64_t> heads = {1, 0, 3, 2, 5, 4, 7, 6};
  tensor(b, "layers.0.attention.wq.weight") =
      permute_rows(tensor(a, "layers.0.attention.wq.weight"), 64, block_order(heads, 8));
  tensor(b, "layers.1.attention.wv.weight") =  // 4 kv heads
      permute_rows(tensor(a, "layers.1.attention.wv.weight"), 64, block_order({2, 0, 3, 1}, 8));
  tensor(b, "layers.1.attention.wo.weight") =
      permute_cols(tensor(a, "layers.1.attention.wo.weight"), 64, block_order({7, 6, 5, 4, 3, 2, 1, 0}, 8));
  DiffReport r = run(c, a, b);
  EXPECT_EQ(differing(r).size(), 3u) << kinds(r);
  const Diagnosis& q = diagnosis_of(r, "layers.0.attention.wq.weight");
  EXPECT_EQ(q.kind, DiagnosisKind::rows_permuted) << q.detail;
  EXPECT_EQ(q.pattern, "heads_reordered");
  EXPECT_EQ(q.block, 8u);
  EXPECT_EQ(q.order, heads);
  EXPECT_EQ(q.detail,
            "B's rows are A's rows with the heads reordered (head size 8): B's heads are A's [1, 0, 3, 2, 5, 4, 7, 6]");
  ASSERT_TRUE(q.fingerprint);
  const Diagnosis& v = diagnosis_of(r, "layers.1.attention.wv.weight");
  EXPECT_EQ(v.kind, DiagnosisKind::rows_permuted);
  EXPECT_EQ(v.pattern, "heads_reordered");
  EXPECT_EQ(v.order, (std::vector<uint64_t>{2, 0, 3, 1}));
  const Diagnosis& o = diagnosis_of(r, "layers.1.attention.wo.weight");
  EXPECT_EQ(o.kind, DiagnosisKind::columns_permuted) << o.detail;
  EXPECT_EQ(o.pattern, "heads_reordered");
  EXPECT_EQ(o.order, (std::vector<uint64_t>{7, 6, 5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(o.detail,
            "B's columns are A's columns with the heads reordered (head size 8, in reverse order): B's heads are A's "
            "[7, 6, 5, 4, 3, 2, 1, 0]");
}

TEST(DiffLayout, StructuredRowOrders) {
  const ModelConfig c = gqa_config();
  MemoryWeights a = make_weights(c), b = a;
  std::vector<uint64_t> halves(172), interleave(172), reversed(172), rotated(64);
  for (uint64_t i = 0; i < 172; ++i) {
    halves[i] = (i + 86) % 172;
    interleave[i] = (i % 2) * 86 + i / 2;  // B alternates rows of A's two halves (gate/up fused)
    reversed[i] = 171 - i;
  }
  for (uint64_t i = 0; i < 64; ++i) rotated[i] = (i + 5) % 64;
  tensor(b, "layers.0.feed_forward.w1.weight") = permute_rows(tensor(a, "layers.0.feed_forward.w1.weight"), 64, halves);
  tensor(b, "layers.0.feed_forward.w3.weight") =
      permute_rows(tensor(a, "layers.0.feed_forward.w3.weight"), 64, interleave);
  tensor(b, "layers.1.feed_forward.w1.weight") =
      permute_rows(tensor(a, "layers.1.feed_forward.w1.weight"), 64, reversed);
  tensor(b, "layers.1.feed_forward.w2.weight") =
      permute_rows(tensor(a, "layers.1.feed_forward.w2.weight"), 172, rotated);
  DiffReport r = run(c, a, b);
  const Diagnosis& h = diagnosis_of(r, "layers.0.feed_forward.w1.weight");
  EXPECT_EQ(h.kind, DiagnosisKind::rows_permuted) << h.detail;
  EXPECT_EQ(h.pattern, "halves_swapped");
  EXPECT_EQ(h.detail, "B's rows are A's rows with the two halves swapped");
  const Diagnosis& i = diagnosis_of(r, "layers.0.feed_forward.w3.weight");
  EXPECT_EQ(i.pattern, "interleaved") << i.detail;
  EXPECT_EQ(i.block, 86u);
  EXPECT_EQ(i.detail, "B's rows are A's rows interleaved: B takes one row from each of A's 2 blocks of 86 in turn");
  EXPECT_EQ(diagnosis_of(r, "layers.1.feed_forward.w1.weight").pattern, "reversed");
  const Diagnosis& t = diagnosis_of(r, "layers.1.feed_forward.w2.weight");
  EXPECT_EQ(t.pattern, "rotated") << t.detail;
  EXPECT_EQ(t.shift, 5);
  EXPECT_EQ(t.detail, "B's rows are A's rows rotated by 5: B's row i is A's row i + 5 (mod 64)");
}

TEST(DiffLayout, ArbitraryRowAndColumnPermutationsGiveTheMap) {
  const ModelConfig c = gqa_config();
  MemoryWeights a = make_weights(c), b = a;
  const auto rows = shuffled(96, 1), cols = shuffled(172, 2);
  tensor(b, "tok_embeddings.weight") = permute_rows(tensor(a, "tok_embeddings.weight"), 64, rows);
  tensor(b, "layers.0.feed_forward.w2.weight") = permute_cols(tensor(a, "layers.0.feed_forward.w2.weight"), 172, cols);
  DiffReport r = run(c, a, b);
  const Diagnosis& e = diagnosis_of(r, "tok_embeddings.weight");
  EXPECT_EQ(e.kind, DiagnosisKind::rows_permuted) << e.detail;
  EXPECT_EQ(e.pattern, "arbitrary");
  EXPECT_EQ(e.order, rows);
  EXPECT_EQ(e.detail.rfind("B's rows are A's rows in an order without a simple structure: [", 0), 0u) << e.detail;
  const Diagnosis& w2 = diagnosis_of(r, "layers.0.feed_forward.w2.weight");
  EXPECT_EQ(w2.kind, DiagnosisKind::columns_permuted) << w2.detail;
  EXPECT_EQ(w2.pattern, "arbitrary");
  EXPECT_EQ(w2.order, cols);
}

TEST(DiffLayout, SameValuesInAnOrderWithoutAName) {
  const ModelConfig c = gqa_config();
  MemoryWeights a = make_weights(c), b = a;
  const auto& w1 = tensor(a, "layers.1.feed_forward.w1.weight");
  std::vector<float> shuffled_w1(w1.size());
  const auto p = shuffled(w1.size(), 3);
  for (size_t i = 0; i < p.size(); ++i) shuffled_w1[i] = w1[p[i]];
  tensor(b, "layers.1.feed_forward.w1.weight") = shuffled_w1;
  auto& norm = tensor(b, "layers.0.attention_norm.weight");  // a vector reversed
  std::reverse(norm.begin(), norm.end());
  DiffReport r = run(c, a, b);
  const Diagnosis& d = diagnosis_of(r, "layers.1.feed_forward.w1.weight");
  EXPECT_EQ(d.kind, DiagnosisKind::permuted) << d.detail;
  EXPECT_TRUE(d.pattern.empty());
  ASSERT_TRUE(d.fingerprint);
  EXPECT_EQ(d.fingerprint->count, 172u * 64u);
  EXPECT_NE(d.detail.find("same values, another order: the fingerprints of A and B agree over the 11008 elements"),
            std::string::npos)
      << d.detail;
  const Diagnosis& n = diagnosis_of(r, "layers.0.attention_norm.weight");
  EXPECT_EQ(n.kind, DiagnosisKind::permuted);
  EXPECT_EQ(n.pattern, "reversed");
  EXPECT_EQ(n.detail, "same values, another order: B's elements are A's in reverse order");
}

TEST(DiffLayout, ReorderingsFoundThroughStreamedReads) {
  // msgpack tensors can only be streamed: the hypotheses and the value lookup read them
  // as forward streams.
  const ModelConfig c = tile_config();
  MemoryWeights a = make_weights(c), b = a;
  tensor(b, "layers.0.feed_forward.w1.weight") = tilize(tensor(a, "layers.0.feed_forward.w1.weight"), 192, 64);
  tensor(b, "tok_embeddings.weight") = permute_rows(tensor(a, "tok_embeddings.weight"), 64, shuffled(96, 9));
  tensor(b, "layers.1.attention.wq.weight") =
      permute_rows(tensor(a, "layers.1.attention.wq.weight"), 64, block_order({3, 2, 1, 0, 7, 6, 5, 4}, 8));
  DiffOptions opt;
  opt.force_stream = true;
  DiffReport r = run(c, a, b, llama2c::v0, llama2c::ak42_v1_fp32, opt);
  EXPECT_EQ(diagnosis_of(r, "layers.0.feed_forward.w1.weight").kind, DiagnosisKind::tilized) << kinds(r);
  EXPECT_EQ(diagnosis_of(r, "tok_embeddings.weight").kind, DiagnosisKind::rows_permuted);
  EXPECT_EQ(diagnosis_of(r, "layers.1.attention.wq.weight").order, (std::vector<uint64_t>{3, 2, 1, 0, 7, 6, 5, 4}));
}

// ---- rounding --------------------------------------------------------------------------

TEST(DiffLayout, RoundedToBf16AndFp16BothWays) {
  const ModelConfig c = gqa_config();
  MemoryWeights a = make_weights(c), b = a;
  tensor(b, "layers.0.attention.wq.weight") = map_values(tensor(a, "layers.0.attention.wq.weight"), bf16_rne);
  tensor(b, "layers.1.feed_forward.w2.weight") =
      map_values(tensor(a, "layers.1.feed_forward.w2.weight"), bf16_truncate);
  tensor(b, "layers.0.feed_forward.w3.weight") = map_values(tensor(a, "layers.0.feed_forward.w3.weight"), fp16_rne);
  tensor(a, "layers.1.attention.wk.weight") = map_values(tensor(b, "layers.1.attention.wk.weight"), bf16_rne);
  DiffReport r = run(c, a, b);
  EXPECT_EQ(differing(r).size(), 4u) << kinds(r);
  const Diagnosis& q = diagnosis_of(r, "layers.0.attention.wq.weight");
  EXPECT_EQ(q.kind, DiagnosisKind::rounded) << q.detail;
  EXPECT_EQ(q.precision, "bf16");
  EXPECT_EQ(q.rounding, "nearest_even");
  EXPECT_EQ(q.side, "b");
  EXPECT_EQ(q.accept, "--ulp 32768");
  EXPECT_EQ(q.detail, "B is A rounded to bf16 (to nearest even) on every checked element; --ulp 32768 accepts it");
  const Diagnosis& t = diagnosis_of(r, "layers.1.feed_forward.w2.weight");
  EXPECT_EQ(t.rounding, "toward_zero") << t.detail;
  EXPECT_EQ(t.accept, "--ulp 65535");
  const Diagnosis& h = diagnosis_of(r, "layers.0.feed_forward.w3.weight");
  EXPECT_EQ(h.precision, "fp16") << h.detail;
  EXPECT_EQ(h.accept, "--rtol 0.00048828125 --atol 2.9802322e-08");
  const Diagnosis& k = diagnosis_of(r, "layers.1.attention.wk.weight");
  EXPECT_EQ(k.kind, DiagnosisKind::rounded);
  EXPECT_EQ(k.side, "a");
  // The flags given as accepting do accept.
  DiffOptions ulp;
  ulp.ulp = 65535;
  MemoryWeights b2 = a;
  tensor(b2, "layers.0.attention.wq.weight") = tensor(b, "layers.0.attention.wq.weight");
  tensor(b2, "layers.1.feed_forward.w2.weight") = tensor(b, "layers.1.feed_forward.w2.weight");
  EXPECT_TRUE(run(c, a, b2, llama2c::v0, llama2c::ak42_v1_fp32, ulp).equal());
  DiffOptions tol;
  tol.rtol = 0.00048828125;
  tol.atol = 2.9802322e-08;
  MemoryWeights b3 = a;
  tensor(b3, "layers.0.feed_forward.w3.weight") = tensor(b, "layers.0.feed_forward.w3.weight");
  EXPECT_TRUE(run(c, a, b3, llama2c::v0, llama2c::ak42_v1_fp32, tol).equal());
}

TEST(DiffLayout, Q8RoundTripGroupSizeIsFound) {
  const ModelConfig c = gqa_config();
  MemoryWeights a = make_weights(c), b = a;
  tensor(b, "layers.0.attention.wo.weight") = q8_round_trip(tensor(a, "layers.0.attention.wo.weight"), 32);
  tensor(b, "layers.1.attention.wo.weight") = q8_round_trip(tensor(a, "layers.1.attention.wo.weight"), 64);
  tensor(b, "layers.0.feed_forward.w1.weight") = q8_round_trip(tensor(a, "layers.0.feed_forward.w1.weight"), 256);
  tensor(a, "layers.1.feed_forward.w3.weight") = q8_round_trip(tensor(b, "layers.1.feed_forward.w3.weight"), 128);
  DiffReport r = run(c, a, b);
  EXPECT_EQ(differing(r).size(), 4u) << kinds(r);
  const Diagnosis& g32 = diagnosis_of(r, "layers.0.attention.wo.weight");
  EXPECT_EQ(g32.kind, DiagnosisKind::quantized) << g32.detail;
  EXPECT_EQ(g32.precision, "q8_0");
  EXPECT_EQ(g32.side, "b");
  EXPECT_EQ(g32.group_b, 32u);
  EXPECT_FALSE(g32.group_a);
  EXPECT_EQ(g32.detail.rfind("B is A quantized to Q8_0 in groups of 32 and dequantized", 0), 0u) << g32.detail;
  const Diagnosis& g64 = diagnosis_of(r, "layers.1.attention.wo.weight");
  EXPECT_EQ(g64.group_b, 64u) << g64.detail;
  EXPECT_EQ(diagnosis_of(r, "layers.0.feed_forward.w1.weight").group_b, 256u);
  const Diagnosis& ra = diagnosis_of(r, "layers.1.feed_forward.w3.weight");
  EXPECT_EQ(ra.side, "a") << ra.detail;
  EXPECT_EQ(ra.group_a, 128u);
  // The accepting tolerance accepts.
  ASSERT_EQ(g32.accept.rfind("--atol ", 0), 0u) << g32.accept;
  DiffOptions tol;
  tol.atol = std::stod(g32.accept.substr(7));
  MemoryWeights b2 = a;
  tensor(b2, "layers.0.attention.wo.weight") = tensor(b, "layers.0.attention.wo.weight");
  EXPECT_TRUE(run(c, a, b2, llama2c::v0, llama2c::ak42_v1_fp32, tol).equal());
  EXPECT_NE(g32.detail.find("; " + g32.accept + " accepts it"), std::string::npos);
}

TEST(DiffLayout, TwoQ8FilesWithGroups64And32) {
  ModelConfig c64 = gqa_config(), c32 = gqa_config();
  c64.group_size = 64;
  c32.group_size = 32;
  const MemoryWeights w = make_weights(c64);
  auto r = diff_memory(write_bytes(llama2c::ak42_v2_q8_0, c64, w), write_bytes(llama2c::ak42_v2_q8_0, c32, w));
  ASSERT_TRUE(r);
  size_t quantized = 0;
  for (const auto& t : r->tensors) {
    if (!t.is_difference()) continue;
    ASSERT_TRUE(t.diagnosis) << t.name;
    EXPECT_EQ(t.diagnosis->kind, DiagnosisKind::quantized) << t.name << ": " << t.diagnosis->detail;
    EXPECT_EQ(t.diagnosis->side, "both");
    EXPECT_EQ(t.diagnosis->group_a, 64u);
    EXPECT_EQ(t.diagnosis->group_b, 32u);
    ++quantized;
  }
  EXPECT_GE(quantized, 10u);
  // The same, dequantized into fp32 files: the group sizes are found.
  MemoryWeights a = w, b = w;
  tensor(a, "layers.0.feed_forward.w2.weight") = q8_round_trip(w.tensors.at("layers.0.feed_forward.w2.weight"), 64);
  tensor(b, "layers.0.feed_forward.w2.weight") = q8_round_trip(w.tensors.at("layers.0.feed_forward.w2.weight"), 32);
  DiffReport f = run(gqa_config(), a, b);
  const Diagnosis& d = diagnosis_of(f, "layers.0.feed_forward.w2.weight");
  EXPECT_EQ(d.kind, DiagnosisKind::quantized) << d.detail;
  EXPECT_EQ(d.side, "both");
  EXPECT_EQ(d.group_a, 64u);
  EXPECT_EQ(d.group_b, 32u);
}

TEST(DiffLayout, LayoutsOfRoundedValues) {
  // A port to bf16 hardware: tiles of bf16 values, W^T in bf16 under the original shape,
  // fp16 tiles of the transpose; and the reverse (A is the rounded, re-laid side).
  const ModelConfig c = tile_config();
  MemoryWeights a = make_weights(c), b = a;
  tensor(b, "layers.0.attention.wq.weight") =
      map_values(tilize(tensor(a, "layers.0.attention.wq.weight"), 64, 64), bf16_rne);
  tensor(b, "layers.1.feed_forward.w1.weight") =
      map_values(transpose(tensor(a, "layers.1.feed_forward.w1.weight"), 192, 64), bf16_rne);
  tensor(b, "layers.0.feed_forward.w2.weight") =
      map_values(tilize(transpose(tensor(a, "layers.0.feed_forward.w2.weight"), 64, 192), 192, 64), fp16_rne);
  tensor(a, "layers.1.attention.wo.weight") =
      map_values(tilize(tensor(b, "layers.1.attention.wo.weight"), 64, 64), bf16_truncate);
  DiffReport r = run(c, a, b);
  EXPECT_EQ(differing(r).size(), 4u) << kinds(r);
  const Diagnosis& q = diagnosis_of(r, "layers.0.attention.wq.weight");
  EXPECT_EQ(q.kind, DiagnosisKind::tilized) << q.detail;
  EXPECT_EQ(q.precision, "bf16");
  EXPECT_EQ(q.side, "b");
  EXPECT_FALSE(q.fingerprint);
  EXPECT_EQ(q.detail,
            "B's data is A in 32x32 tiles (four 16x16 faces each), read as row-major; B's values are A's rounded to "
            "bf16 (to nearest even)");
  const Diagnosis& w1 = diagnosis_of(r, "layers.1.feed_forward.w1.weight");
  EXPECT_EQ(w1.kind, DiagnosisKind::transposed) << w1.detail;
  EXPECT_EQ(w1.precision, "bf16");
  const Diagnosis& w2 = diagnosis_of(r, "layers.0.feed_forward.w2.weight");
  EXPECT_EQ(w2.kind, DiagnosisKind::tilized) << w2.detail;
  EXPECT_TRUE(w2.of_transpose);
  EXPECT_EQ(w2.precision, "fp16");
  const Diagnosis& wo = diagnosis_of(r, "layers.1.attention.wo.weight");
  EXPECT_EQ(wo.kind, DiagnosisKind::untilized) << wo.detail;
  EXPECT_EQ(wo.side, "a");
  EXPECT_EQ(wo.rounding, "toward_zero");
}

TEST(DiffLayout, SmallUpdatesAreNotNamed) {
  // Two checkpoints of one training run: every element moved a little. Nothing to name,
  // and no layout is searched (the cosine is near 1).
  const ModelConfig c = gqa_config();
  const MemoryWeights a = make_weights(c);
  MemoryWeights b = a;
  for (auto& [name, v] : b.tensors)
    for (size_t i = 0; i < v.size(); ++i) v[i] += 1e-3f * weight_value(name, i, 11);
  DiffReport r = run(c, a, b);
  EXPECT_GE(differing(r).size(), 15u);
  for (const auto& t : r.tensors) {
    if (t.is_difference()) {
      EXPECT_FALSE(t.diagnosis) << t.name << ": " << t.diagnosis->detail;
    }
  }
}

// ---- what must not be named ------------------------------------------------------------

TEST(DiffLayout, EqualPairsGetNoDiagnosis) {
  const ModelConfig c = tile_config();
  const MemoryWeights w = make_weights(c);
  for (Format fb : {llama2c::v0, llama2c::ak42_v1_fp32, llama2c::ak42_v2_q8_0}) {
    DiffReport r = run(c, w, w, llama2c::v0, fb);
    EXPECT_TRUE(r.equal()) << format_name(fb);
    for (const auto& t : r.tensors) EXPECT_FALSE(t.diagnosis) << t.name << ": " << t.diagnosis->detail;
  }
}

TEST(DiffLayout, OneChangedElementIsNotALayoutBug) {
  const ModelConfig c = tile_config();
  const MemoryWeights a = make_weights(c);
  // One element per tensor, of several kinds of change: a neighbour's value (which a
  // permutation would also produce locally), that element alone rounded to bf16, a new
  // value.
  for (int change = 0; change < 3; ++change) {
    MemoryWeights b = a;
    for (auto& [name, v] : b.tensors) {
      if (v.size() < 2 || name.rfind("freqs", 0) == 0) continue;
      const size_t i = v.size() / 3;
      v[i] = change == 0 ? v[i + 1] : change == 1 ? bf16_rne(v[i]) : v[i] + 0.5f;
    }
    DiffReport r = run(c, a, b);
    EXPECT_GE(differing(r).size(), 15u);
    for (const auto& t : r.tensors) {
      if (t.is_difference()) {
        EXPECT_FALSE(t.diagnosis) << change << " " << t.name << ": " << t.diagnosis->detail;
      }
    }
  }
}

TEST(DiffLayout, TwoElementsSwappedAreTheSameValuesInAnotherOrder) {
  const ModelConfig c = gqa_config();
  MemoryWeights a = make_weights(c), b = a;
  auto& w = tensor(b, "layers.0.feed_forward.w3.weight");
  std::swap(w[100], w[5000]);
  DiffReport r = run(c, a, b);
  const Diagnosis& d = diagnosis_of(r, "layers.0.feed_forward.w3.weight");
  EXPECT_EQ(d.kind, DiagnosisKind::permuted) << d.detail;
  ASSERT_TRUE(d.fingerprint);
  EXPECT_EQ(d.fingerprint->count, 8192u);  // the two 4096-element blocks that differ
}

TEST(DiffLayout, SameDataUnderAnotherShapeIsNotAReordering) {
  // The same bytes with a (64, 172) header over (172, 64) data: the shapes differ, the
  // order does not; nothing was reordered (and it is not a transpose either).
  const auto w1 = make_weights(gqa_config()).tensors.at("layers.0.feed_forward.w1.weight");
  const Checkpoint a = free_checkpoint({{"layers.0.feed_forward.w1.weight", {172, 64}, w1}}, "A");
  const Checkpoint b = free_checkpoint({{"layers.0.feed_forward.w1.weight", {64, 172}, w1}}, "B");
  auto r = diff_checkpoints(a, b, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->tensors[0].status, DiffStatus::shape_mismatch);
  EXPECT_FALSE(r->tensors[0].diagnosis) << r->tensors[0].diagnosis->detail;
  // Under that (64, 172) header, the data of A^T is a plain transpose.
  const Checkpoint t = free_checkpoint({{"layers.0.feed_forward.w1.weight", {64, 172}, transpose(w1, 172, 64)}}, "T");
  auto rt = diff_checkpoints(a, t, {});
  ASSERT_TRUE(rt && rt->tensors[0].diagnosis);
  EXPECT_EQ(rt->tensors[0].diagnosis->kind, DiagnosisKind::transposed);
}

// ---- the real file -----------------------------------------------------------------------

// stories260K (dim 64, hidden 172, 8 heads of 8, 4 kv heads) with its matrices re-laid
// out in every way above, one tensor each; everything else untouched.
TEST(DiffLayout, RealStories260KRelaidOut) {
  const std::string path = real_file("stories260K.bin");
  if (path.empty()) GTEST_SKIP() << "shared/real is absent";
  auto bytes = read_file(path);
  auto cp = open_bytes(bytes);
  ASSERT_TRUE(cp);
  auto out = bytes;
  auto values = [&](const std::string& name) {
    const TensorInfo* t = cp->find(name);
    std::vector<float> v(t->spec.numel);
    std::memcpy(v.data(), bytes.data() + t->place.offset, t->place.nbytes);
    return v;
  };
  auto put = [&](const std::string& name, const std::vector<float>& v) {
    const TensorInfo* t = cp->find(name);
    ASSERT_EQ(v.size(), t->spec.numel) << name;
    std::memcpy(out.data() + t->place.offset, v.data(), t->place.nbytes);
  };
  put("layers.0.attention.wq.weight", tilize(values("layers.0.attention.wq.weight"), 64, 64));
  put("layers.1.attention.wk.weight", transpose(values("layers.1.attention.wk.weight"), 32, 64));
  put("layers.2.attention.wv.weight", untilize(values("layers.2.attention.wv.weight"), 32, 64));
  put("layers.3.attention.wq.weight",
      permute_rows(values("layers.3.attention.wq.weight"), 64, block_order({0, 2, 1, 3, 4, 6, 5, 7}, 8)));
  put("layers.4.attention.wo.weight",
      permute_cols(values("layers.4.attention.wo.weight"), 64, block_order({4, 5, 6, 7, 0, 1, 2, 3}, 8)));
  put("layers.0.feed_forward.w1.weight", transpose(values("layers.0.feed_forward.w1.weight"), 172, 64));
  put("layers.1.feed_forward.w2.weight", transpose(values("layers.1.feed_forward.w2.weight"), 64, 172));
  put("layers.2.feed_forward.w3.weight", map_values(values("layers.2.feed_forward.w3.weight"), bf16_rne));
  put("layers.3.feed_forward.w1.weight", q8_round_trip(values("layers.3.feed_forward.w1.weight"), 32));
  put("layers.4.feed_forward.w3.weight", q8_round_trip(values("layers.4.feed_forward.w3.weight"), 64));
  put("tok_embeddings.weight", permute_rows(values("tok_embeddings.weight"), 64, shuffled(512, 4)));
  const std::map<std::string, DiagnosisKind> expected = {
      {"layers.0.attention.wq.weight", DiagnosisKind::tilized},
      {"layers.1.attention.wk.weight", DiagnosisKind::transposed},
      {"layers.2.attention.wv.weight", DiagnosisKind::untilized},
      {"layers.3.attention.wq.weight", DiagnosisKind::rows_permuted},
      {"layers.4.attention.wo.weight", DiagnosisKind::columns_permuted},
      {"layers.0.feed_forward.w1.weight", DiagnosisKind::transposed},
      {"layers.1.feed_forward.w2.weight", DiagnosisKind::transposed},
      {"layers.2.feed_forward.w3.weight", DiagnosisKind::rounded},
      {"layers.3.feed_forward.w1.weight", DiagnosisKind::quantized},
      {"layers.4.feed_forward.w3.weight", DiagnosisKind::quantized},
      {"tok_embeddings.weight", DiagnosisKind::rows_permuted},
  };
  auto r = diff_memory(bytes, out);
  ASSERT_TRUE(r);
  for (const auto& t : r->tensors) {
    auto it = expected.find(t.name);
    if (it == expected.end()) {
      EXPECT_EQ(t.status, DiffStatus::equal) << t.name;
      EXPECT_FALSE(t.diagnosis) << t.name;
      continue;
    }
    EXPECT_EQ(t.status, DiffStatus::differs) << t.name;
    ASSERT_TRUE(t.diagnosis) << t.name;
    EXPECT_EQ(t.diagnosis->kind, it->second) << t.name << ": " << t.diagnosis->detail;
  }
  EXPECT_EQ(diagnosis_of(*r, "layers.3.attention.wq.weight").pattern, "heads_reordered");
  EXPECT_EQ(diagnosis_of(*r, "layers.3.attention.wq.weight").order, (std::vector<uint64_t>{0, 2, 1, 3, 4, 6, 5, 7}));
  EXPECT_EQ(diagnosis_of(*r, "layers.4.attention.wo.weight").pattern, "halves_swapped");
  EXPECT_EQ(diagnosis_of(*r, "layers.3.feed_forward.w1.weight").group_b, 32u);
  EXPECT_EQ(diagnosis_of(*r, "layers.4.feed_forward.w3.weight").group_b, 64u);
  EXPECT_EQ(diagnosis_of(*r, "tok_embeddings.weight").order, shuffled(512, 4));
  // The real file against itself and against its Q8_0 conversion: nothing to name.
  auto same = diff_memory(bytes, bytes);
  ASSERT_TRUE(same);
  EXPECT_TRUE(same->equal());
  for (const auto& t : same->tensors) EXPECT_FALSE(t.diagnosis) << t.name;
}

}  // namespace
}  // namespace ckpt::test
