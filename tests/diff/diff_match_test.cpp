// Matching by canonical name across naming schemes: tt-train paths, kv_linear split into
// wk and wv rows, 4-D shapes squeezed, vocabulary padding compared against nothing.
// tt-train tensors are synthetic TensorInfo over positional fp32 bytes, so these tests
// do not depend on the msgpack reader.
#include <cstring>

#include "../../diff/src/match.hpp"
#include "diff_test_util.hpp"
#include "llama2c/formats.hpp"
#include "ttml/ttml.hpp"

namespace ckpt::test {
namespace {

TEST(DiffMatch, TtTrainPathsMapToCanonicalNames) {
  using ttml::llama_canonical_names;
  EXPECT_EQ(llama_canonical_names("tok_emb/weight"), std::vector<std::string>{"tok_embeddings.weight"});
  EXPECT_EQ(llama_canonical_names("llama_block_3/attention/q_linear/weight"),
            std::vector<std::string>{"layers.3.attention.wq.weight"});
  EXPECT_EQ(llama_canonical_names("llama_block_12/attention/kv_linear/weight"),
            (std::vector<std::string>{"layers.12.attention.wk.weight", "layers.12.attention.wv.weight"}));
  EXPECT_EQ(llama_canonical_names("llama_block_0/mlp_norm/gamma"),
            std::vector<std::string>{"layers.0.ffn_norm.weight"});
  EXPECT_EQ(llama_canonical_names("llama_block_1/mlp/w2/weight"),
            std::vector<std::string>{"layers.1.feed_forward.w2.weight"});
  EXPECT_EQ(llama_canonical_names("ln_fc/gamma"), std::vector<std::string>{"norm.weight"});
  EXPECT_EQ(llama_canonical_names("fc/weight"), std::vector<std::string>{"output.weight"});
  EXPECT_TRUE(llama_canonical_names("fc/weight/grad").empty());
  EXPECT_TRUE(llama_canonical_names("llama_block_x/mlp/w2/weight").empty());
  EXPECT_TRUE(llama_canonical_names("llama_block_1").empty());
}

// A tt-train-like file: tt-train names and 4-D shapes over raw fp32 bytes, which generic
// code reads positionally (the msgpack reader's own tensors are encoded and stream).
struct Synthetic {
  std::vector<uint8_t> bytes;
  Checkpoint cp;
  // The checkpoint over the bytes as they are now (tests change them after building).
  const Checkpoint& opened() {
    cp.sources = {std::make_shared<MemorySource>(bytes, "B")};
    cp.path = "B";
    return cp;
  }
  void add(const std::string& name, std::vector<uint64_t> shape, const std::vector<float>& v) {
    TensorInfo t;
    t.spec.name = name;
    t.spec.shape = std::move(shape);
    t.spec.numel = v.size();
    t.place.offset = bytes.size();
    t.place.nbytes = v.size() * 4;
    t.data_available = t.place.nbytes;
    bytes.resize(bytes.size() + v.size() * 4);
    std::memcpy(bytes.data() + t.place.offset, v.data(), v.size() * 4);
    cp.tensors.push_back(std::move(t));
  }
};

Synthetic ttml_like(const ModelConfig& c, const MemoryWeights& w, uint64_t padded_vocab) {
  Synthetic s;
  s.cp.format = ttml::msgpack_weights;
  s.cp.config = c;
  auto info = std::make_shared<ttml::TtmlInfo>();
  info->model = "llama";
  info->prefix = "llama/llama/";
  s.cp.family_data = info;
  const uint64_t D = uint64_t(c.dim), kvd = uint64_t(c.kv_dim()), H = uint64_t(c.hidden_dim);
  std::vector<float> emb = w.tensors.at("tok_embeddings.weight");
  emb.resize(padded_vocab * D, 0.0f);
  const std::string p = "llama/llama/";
  s.add(p + "tok_emb/weight", {1, 1, padded_vocab, D}, emb);
  for (int64_t i = 0; i < c.n_layers; ++i) {
    const std::string l = "layers." + std::to_string(i) + ".", b = p + "llama_block_" + std::to_string(i) + "/";
    s.add(b + "attention_norm/gamma", {1, 1, 1, D}, w.tensors.at(l + "attention_norm.weight"));
    s.add(b + "attention/q_linear/weight", {1, 1, D, D}, w.tensors.at(l + "attention.wq.weight"));
    std::vector<float> kv = w.tensors.at(l + "attention.wk.weight");
    const auto& wv = w.tensors.at(l + "attention.wv.weight");
    kv.insert(kv.end(), wv.begin(), wv.end());
    s.add(b + "attention/kv_linear/weight", {1, 1, 2 * kvd, D}, kv);
    s.add(b + "attention/out_linear/weight", {1, 1, D, D}, w.tensors.at(l + "attention.wo.weight"));
    s.add(b + "mlp_norm/gamma", {1, 1, 1, D}, w.tensors.at(l + "ffn_norm.weight"));
    s.add(b + "mlp/w1/weight", {1, 1, H, D}, w.tensors.at(l + "feed_forward.w1.weight"));
    s.add(b + "mlp/w2/weight", {1, 1, D, H}, w.tensors.at(l + "feed_forward.w2.weight"));
    s.add(b + "mlp/w3/weight", {1, 1, H, D}, w.tensors.at(l + "feed_forward.w3.weight"));
  }
  s.add(p + "ln_fc/gamma", {1, 1, 1, D}, w.tensors.at("norm.weight"));
  s.cp.file_size = s.bytes.size();
  return s;
}

Result<DiffReport> diff_against_synthetic(const std::vector<uint8_t>& a, Synthetic& s, const DiffOptions& o = {}) {
  MemorySource sa(a, "A");
  auto ca = open_checkpoint(sa);
  if (!ca) return ca.error();
  return diff_checkpoints(*ca, s.opened(), o);
}

ModelConfig vocab90() {
  ModelConfig c = gqa_config();
  c.vocab_size = 90;  // tt-train pads it to 96
  return c;
}

TEST(DiffMatch, KvLinearSplitsIntoWkAndWvRows) {
  const ModelConfig c = vocab90();
  Synthetic s = ttml_like(c, make_weights(c), 96);
  auto views = canonical_views(s.opened());
  const CanonicalView* wv = nullptr;
  for (const auto& v : views)
    if (v.name == "layers.1.attention.wv.weight") wv = &v;
  ASSERT_NE(wv, nullptr);
  EXPECT_EQ(wv->shape, (std::vector<uint64_t>{32, 64}));
  EXPECT_EQ(wv->row_begin, 32u);
  EXPECT_EQ(wv->elem_offset(), 32u * 64u);
  EXPECT_EQ(wv->source, "llama/llama/llama_block_1/attention/kv_linear/weight rows 32..63");
}

TEST(DiffMatch, TtTrainLikeFileEqualsTheLlama2cFileWithPaddingReported) {
  const ModelConfig c = vocab90();
  const MemoryWeights w = make_weights(c);
  Synthetic s = ttml_like(c, w, 96);
  auto r = diff_against_synthetic(write_bytes(llama2c::v0, c, w), s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->equal()) << differing(*r).size();
  const TensorDiff* emb = find_tensor(*r, "tok_embeddings.weight");
  EXPECT_EQ(emb->status, DiffStatus::equal);
  ASSERT_TRUE(emb->extra_rows);
  EXPECT_EQ(emb->extra_rows->side, 'b');
  EXPECT_EQ(emb->extra_rows->rows, 6u);
  EXPECT_TRUE(emb->extra_rows->all_zero);
  EXPECT_EQ(emb->compared, 90u * 64u);
  EXPECT_EQ(emb->diagnosis->kind, DiagnosisKind::padded);
  EXPECT_EQ(find_tensor(*r, "layers.0.attention.wk.weight")->status, DiffStatus::equal);
  EXPECT_EQ(find_tensor(*r, "layers.0.attention.wv.weight")->source_b,
            "llama/llama/llama_block_0/attention/kv_linear/weight rows 32..63");
  EXPECT_EQ(find_tensor(*r, "layers.1.feed_forward.w2.weight")->shape_b, (std::vector<uint64_t>{64, 172}));
}

TEST(DiffMatch, NonZeroPaddingIsAShapeMismatch) {
  const ModelConfig c = vocab90();
  const MemoryWeights w = make_weights(c);
  Synthetic s = ttml_like(c, w, 96);
  s.bytes[s.cp.tensors[0].place.offset + 90 * 64 * 4 + 3] = 0x3f;  // a padding row is not zero
  auto r = diff_against_synthetic(write_bytes(llama2c::v0, c, w), s);
  const TensorDiff* emb = find_tensor(*r, "tok_embeddings.weight");
  EXPECT_EQ(emb->status, DiffStatus::shape_mismatch);
  EXPECT_FALSE(emb->extra_rows->all_zero);
  EXPECT_EQ(emb->mismatches, 0u);
  EXPECT_EQ(emb->diagnosis->kind, DiagnosisKind::truncated);  // A holds B's first 90 rows
}

TEST(DiffMatch, RotaryPermutationInTheWkHalfOfKvLinear) {
  const ModelConfig c = vocab90();
  const MemoryWeights w = make_weights(c);
  MemoryWeights meta = w;
  auto& wk = tensor(meta, "layers.1.attention.wk.weight");
  wk = hf_to_meta(wk, 8, 64);  // the exporter's --meta_style mistake, on wk only
  auto& wq = tensor(meta, "layers.1.attention.wq.weight");
  wq = hf_to_meta(wq, 8, 64);
  // tt-train files store no head count: the diagnosis must find head size 8 alone, and
  // work on the forward-stream path msgpack tensors take.
  Synthetic s = ttml_like(c, meta, 96);
  s.cp.config.reset();
  auto v0 = write_bytes(llama2c::v0, c, w);
  auto headless = open_bytes(v0);
  for (bool stream : {false, true}) {
    DiffOptions o;
    o.force_stream = stream;
    o.chunk_elems = 700;
    Checkpoint ca = *headless;
    ca.config.reset();
    auto r = diff_checkpoints(ca, s.opened(), o);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(differing(*r),
              (std::vector<std::string>{"layers.1.attention.wq.weight", "layers.1.attention.wk.weight"}));
    for (const char* name : {"layers.1.attention.wq.weight", "layers.1.attention.wk.weight"}) {
      const TensorDiff* k = find_tensor(*r, name);
      ASSERT_TRUE(k->diagnosis) << name;
      EXPECT_EQ(k->diagnosis->kind, DiagnosisKind::rotary_permutation);
      EXPECT_EQ(k->diagnosis->direction, "hf_to_meta");
      EXPECT_NE(k->diagnosis->detail.find("head size 8"), std::string::npos) << k->diagnosis->detail;
    }
    EXPECT_EQ(find_tensor(*r, "layers.1.attention.wk.weight")->source_b,
              "llama/llama/llama_block_1/attention/kv_linear/weight rows 0..31");
    EXPECT_EQ(find_tensor(*r, "layers.1.attention.wv.weight")->status, DiffStatus::equal);
  }
}

TEST(DiffMatch, OptimizerStateAndGradientsKeepTheirOwnNames) {
  const ModelConfig c = vocab90();
  Synthetic s = ttml_like(c, make_weights(c), 96);
  s.add("adamw/first_moment/llama/llama/ln_fc/gamma", {1, 1, 1, 64}, std::vector<float>(64, 0.5f));
  s.add("llama/llama/ln_fc/gamma/grad", {1, 1, 1, 64}, std::vector<float>(64, 0.25f));
  auto views = canonical_views(s.opened());
  const CanonicalView* moment = find_view(views, "adamw/first_moment/llama/llama/ln_fc/gamma");
  const CanonicalView* grad = find_view(views, "llama/llama/ln_fc/gamma/grad");
  ASSERT_NE(moment, nullptr);
  ASSERT_NE(grad, nullptr);
  EXPECT_FALSE(moment->canonical);
  EXPECT_FALSE(grad->canonical);
  EXPECT_TRUE(find_view(views, "norm.weight")->canonical);
}

}  // namespace
}  // namespace ckpt::test

namespace ckpt::test {
namespace {

// A tt-train file stores no config and may carry optimizer state: against the llama2.c
// file of the same weights it must still compare equal.
TEST(DiffMatch, NoConfigAndTrainingStateAreNotDifferences) {
  const ModelConfig c = vocab90();
  const MemoryWeights w = make_weights(c);
  Synthetic s = ttml_like(c, w, 96);
  s.cp.config.reset();
  s.add("adamw/first_moment/llama/llama/ln_fc/gamma", {1, 1, 1, 64}, std::vector<float>(64, 0.25f));
  s.cp.file_size = s.bytes.size();
  auto r = diff_against_synthetic(write_bytes(llama2c::v0, c, w), s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->config.empty());
  const TensorDiff* m = find_tensor(*r, "adamw/first_moment/llama/llama/ln_fc/gamma");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->status, DiffStatus::only_in_b);
  EXPECT_TRUE(m->layout_only);
  EXPECT_TRUE(r->equal()) << differing(*r).size();
  // A weight only in one file is a difference.
  s.add("llama/llama/llama_block_2/mlp/w1/weight", {1, 1, 4, 4}, std::vector<float>(16, 1.0f));
  auto r2 = diff_against_synthetic(write_bytes(llama2c::v0, c, w), s);
  EXPECT_EQ(differing(*r2), std::vector<std::string>{"layers.2.feed_forward.w1.weight"});
}

}  // namespace
}  // namespace ckpt::test
