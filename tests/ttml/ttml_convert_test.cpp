// Conversions llama2.c <-> tt-train msgpack: exact round trips, vocabulary padding, the
// writer's number encoding and key order, and the config a tt-train file needs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ckpt/tensor_stream.hpp"
#include "llama2c/formats.hpp"
#include "llama2c/layout.hpp"
#include "llama2c/writer.hpp"
#include "test_support.hpp"
#include "ttml/ttml.hpp"

namespace ckpt {
namespace {

using namespace ttml;

// llama2.c bytes -> ttml-msgpack bytes through the library's conversion.
std::vector<uint8_t> to_ttml(const std::vector<uint8_t>& in, const std::string& prefix = "llama/llama") {
  auto cp = test::open_bytes(in);
  EXPECT_TRUE(cp);
  if (!cp) return {};
  ConvertOptions opt;
  opt.to = msgpack_weights;
  opt.prefix = prefix;
  auto plan = plan_conversion(*cp, opt);
  EXPECT_TRUE(plan) << (plan ? "" : plan.error().message);
  if (!plan) return {};
  MemorySink sink;
  auto r = write_conversion(sink, *cp, *plan);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  EXPECT_EQ(r ? r->bytes : 0, sink.bytes().size());
  return sink.bytes();
}

// ttml-msgpack bytes -> a llama2.c layout, with what the file does not store in `so`.
Result<std::vector<uint8_t>> from_ttml(const std::vector<uint8_t>& in, Format to, ConvertOptions so) {
  auto cp = test::open_bytes(in);
  if (!cp) return cp.error();
  so.to = to;
  auto plan = plan_conversion(*cp, so);
  if (!plan) return plan.error();
  MemorySink sink;
  auto r = write_conversion(sink, *cp, *plan);
  if (!r) return r.error();
  return sink.bytes();
}

// What a tt-train file does not store, taken from the config it was written from.
ConvertOptions source_options(const ModelConfig& c) {
  ConvertOptions so;
  so.n_heads = c.n_heads;
  so.vocab_size = c.vocab_size;
  so.seq_len = c.seq_len;
  return so;
}

TEST(TtmlConvert, V0RoundTripGivesTheOriginalBytes) {
  for (ModelConfig c : {test::gqa_config(), test::untied_config()}) {
    const auto v0 = test::write_bytes(llama2c::v0, c);
    const auto tt = to_ttml(v0);
    auto back = from_ttml(tt, llama2c::v0, source_options(c));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_TRUE(*back == v0) << "dim " << c.dim;
  }
}

TEST(TtmlConvert, UntiedClassifierIsFcWeight) {
  const ModelConfig c = test::untied_config();
  auto cp = test::open_bytes(to_ttml(test::write_bytes(llama2c::v0, c)));
  ASSERT_TRUE(cp);
  const TensorInfo* fc = test::tensor_named(*cp, "output.weight");
  ASSERT_NE(fc, nullptr);
  EXPECT_EQ(fc->spec.name, "llama/llama/fc/weight");
  EXPECT_EQ(fc->spec.shape, (std::vector<uint64_t>{1, 1, 64, 48}));
  auto cfg = ttml::llama_config(*cp, 6, std::nullopt, 16);
  ASSERT_TRUE(cfg);
  EXPECT_FALSE(cfg->shared_classifier);
}

TEST(TtmlConvert, VocabularyIsPaddedWithZeroRowsAndDroppedOnTheWayBack) {
  ModelConfig c = test::gqa_config();
  c.vocab_size = 100;
  const auto v0 = test::write_bytes(llama2c::v0, c);
  const auto tt = to_ttml(v0);
  auto cp = test::open_bytes(tt);
  ASSERT_TRUE(cp);
  const TensorInfo* emb = test::tensor_named(*cp, "tok_embeddings.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->spec.shape, (std::vector<uint64_t>{1, 1, 128, 64}));
  MemorySource src(tt);
  std::vector<float> all;
  ASSERT_TRUE(stream_f32(*cp, *emb, [&](uint64_t, const float* v, size_t n) {
    all.insert(all.end(), v, v + n);
    return true;
  }));
  ASSERT_EQ(all.size(), 128u * 64);
  EXPECT_TRUE(std::all_of(all.begin() + 100 * 64, all.end(), [](float x) { return x == 0.0f; }));
  EXPECT_EQ(all[99 * 64 + 5], test::weight_value("tok_embeddings.weight", 99 * 64 + 5));
  // Without --vocab-size the padded size is kept; with it the original bytes return.
  ConvertOptions so = source_options(c);
  so.vocab_size.reset();
  auto padded = from_ttml(tt, llama2c::v0, so);
  ASSERT_TRUE(padded);
  EXPECT_NE(padded->size(), v0.size());
  auto back = from_ttml(tt, llama2c::v0, source_options(c));
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == v0);
}

TEST(TtmlConvert, NKvHeadsDerivesFromKvLinearRows) {
  const ModelConfig c = test::gqa_config();
  auto cp = test::open_bytes(to_ttml(test::write_bytes(llama2c::v0, c)));
  ASSERT_TRUE(cp);
  auto cfg = ttml::llama_config(*cp, 8, std::nullopt, 32);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->n_kv_heads, 4);
  EXPECT_EQ(cfg->dim, 64);
  EXPECT_EQ(cfg->hidden_dim, 172);
  EXPECT_EQ(cfg->n_layers, 2);
  EXPECT_EQ(cfg->vocab_size, 96);
  EXPECT_TRUE(cfg->shared_classifier);
  // 16 heads of size 4: kv_linear's 2 x 32 rows are 8 kv heads.
  EXPECT_EQ(ttml::llama_config(*cp, 16, std::nullopt, 32)->n_kv_heads, 8);
  auto no_heads = ttml::llama_config(*cp, 0, std::nullopt, 32);
  ASSERT_FALSE(no_heads);
  EXPECT_EQ(no_heads.error().code, ErrorCode::convert_input);
  EXPECT_NE(no_heads.error().message.find("--n-heads"), std::string::npos);
  EXPECT_FALSE(ttml::llama_config(*cp, 8, std::nullopt, 0));   // --seq-len missing
  EXPECT_FALSE(ttml::llama_config(*cp, 8, int64_t(97), 32));   // more rows than stored
  EXPECT_FALSE(ttml::llama_config(*cp, 7, std::nullopt, 32));  // dim % n_heads != 0
}

TEST(TtmlConvert, WriterEncodesNumbersAsMsgpackCDoes) {
  const ModelConfig c = test::gqa_config();
  auto w = test::make_weights(c);
  auto& norm = w.tensors.at("norm.weight");
  const float nan = std::nanf("");
  const std::vector<float> head{1.0f, -2.0f, -0.0f, 0.5f, 300.0f, -200.0f, 1e10f, nan, 127.0f, -33.0f};
  std::copy(head.begin(), head.end(), norm.begin());
  MemorySink sink;
  ASSERT_TRUE(ttml::write_llama_msgpack(sink, c, w));
  auto cp = test::open_bytes(sink.bytes());
  ASSERT_TRUE(cp);
  const TtmlTensor* x = ttml::info_of(*cp)->find_tensor("llama/llama/ln_fc/gamma");
  ASSERT_NE(x, nullptr);
  const std::vector<uint8_t> want{
      0x01,                                                  // 1.0: positive fixint
      0xfe,                                                  // -2.0: negative fixint
      0x00,                                                  // -0.0: integral, the sign is lost
      0xca, 0x3f, 0x00, 0x00, 0x00,                          // 0.5: float32
      0xcd, 0x01, 0x2c,                                      // 300: uint16
      0xd1, 0xff, 0x38,                                      // -200: int16
      0xcf, 0x00, 0x00, 0x00, 0x02, 0x54, 0x0b, 0xe4, 0x00,  // 1e10: uint64
      0xca, 0x7f, 0xc0, 0x00, 0x00,                          // NaN: float32
      0x7f,                                                  // 127
      0xd0, 0xdf,                                            // -33: int8
  };
  const auto& b = sink.bytes();
  // 64 elements: array16 header dc 00 40, then the elements.
  ASSERT_TRUE(b[x->elements_offset - 3] == 0xdc && b[x->elements_offset - 1] == 0x40);
  EXPECT_TRUE(std::equal(want.begin(), want.end(), b.begin() + long(x->elements_offset)));
}

TEST(TtmlConvert, KeysAreInByteOrderAndEachTensorHasSevenKeys) {
  const ModelConfig c = test::untied_config();
  const auto tt = to_ttml(test::write_bytes(llama2c::v0, c), "my/model");
  auto cp = test::open_bytes(tt);
  ASSERT_TRUE(cp);
  const auto& es = ttml::info_of(*cp)->entries;
  for (size_t i = 1; i < es.size(); ++i) EXPECT_LT(es[i - 1].key, es[i].key);
  EXPECT_EQ(es.size(), 7 * (1 + 8 * 2 + 1 + 1));
  EXPECT_EQ(es[0].key, "my/model/fc/weight/has_grads");
  EXPECT_EQ(ttml::info_of(*cp)->prefix, "my/model/");
  // [variant, payload] forms of one tensor.
  auto find = [&](const std::string& k) {
    for (const auto& e : es)
      if (e.key == k) return &e;
    return static_cast<const TtmlEntry*>(nullptr);
  };
  const std::string t = "my/model/llama_block_1/mlp/w2/weight";
  EXPECT_EQ(find(t + "/value/shape")->variant, 12);
  EXPECT_EQ(find(t + "/value/shape")->type, MsgType::bin);
  EXPECT_EQ(find(t + "/value/shape")->count, 16u);
  EXPECT_EQ(find(t + "/value/data_type")->int_value, std::optional<int64_t>(0));
  EXPECT_EQ(find(t + "/value/layout")->int_value, std::optional<int64_t>(1));
  EXPECT_EQ(find(t + "/value/storage_type")->int_value, std::optional<int64_t>(1));
  EXPECT_EQ(find(t + "/value/data")->variant, 10);
  EXPECT_EQ(find(t + "/requires_grads")->bool_value, std::optional<bool>(true));
  EXPECT_EQ(find(t + "/has_grads")->bool_value, std::optional<bool>(false));
  EXPECT_EQ(test::tensor_named(*cp, t)->spec.shape, (std::vector<uint64_t>{1, 1, 48, 128}));
}

TEST(TtmlConvert, Q8InputIsWrittenDequantized) {
  const ModelConfig c = test::gqa_config();
  const auto q8 = test::write_bytes(llama2c::ak42_v2_q8_0, c);
  MemorySource qsrc(q8);
  auto qcp = open_checkpoint(qsrc);
  ASSERT_TRUE(qcp);
  const auto tt = to_ttml(q8);
  auto cp = test::open_bytes(tt);
  ASSERT_TRUE(cp);
  MemorySource src(tt);
  for (const char* name : {"layers.1.attention.wq.weight", "tok_embeddings.weight"}) {
    std::vector<float> a, b;
    ASSERT_TRUE(stream_f32(*qcp, *test::tensor_named(*qcp, name), [&](uint64_t, const float* v, size_t n) {
      a.insert(a.end(), v, v + n);
      return true;
    }));
    ASSERT_TRUE(stream_f32(*cp, *test::tensor_named(*cp, name), [&](uint64_t, const float* v, size_t n) {
      b.insert(b.end(), v, v + n);
      return true;
    }));
    EXPECT_EQ(a, b) << name;
  }
}

TEST(TtmlConvert, RealStories260KRoundTrip) {
  const std::string path = test::real_file("stories260K.bin");
  if (path.empty()) GTEST_SKIP() << "../shared/real is absent";
  const auto v0 = test::read_file(path);
  auto cp = test::open_bytes(v0);
  ASSERT_TRUE(cp);
  ASSERT_EQ(cp->format, llama2c::v0);
  const auto tt = to_ttml(v0);
  auto back = from_ttml(tt, llama2c::v0, source_options(*cp->config));
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->size(), v0.size());
  // Every byte up to the RoPE tables is the original; the tables are recomputed.
  const uint64_t rope = test::tensor_named(*cp, "freqs_cos")->place.offset;
  EXPECT_TRUE(std::equal(v0.begin(), v0.begin() + long(rope), back->begin()));
  float worst = 0;
  for (uint64_t off = rope; off + 4 <= v0.size(); off += 4) {
    float a, b;
    std::memcpy(&a, &v0[off], 4);
    std::memcpy(&b, &(*back)[off], 4);
    worst = std::max(worst, std::fabs(a - b));
  }
  EXPECT_LE(worst, 1e-6f);
}

// Found by a CLI mutation run (every command on mutants of the fixtures and real files): n_layers = 65535 in an ak42
// header leaves no tensor table (beyond the 1024-layer cap), and convert --to ttml-msgpack went on writing 65535 layers
// for 6.5 s before failing. It is refused at once, like every other target.
TEST(TtmlConvert, HeaderWithoutATensorTableIsRefused) {
  auto bytes = test::write_bytes(llama2c::ak42_v1_fp32, test::untied_config());
  test::put_i32(bytes, 16, 65535);  // n_layers
  auto cp = test::open_bytes(bytes);
  ASSERT_TRUE(cp);
  EXPECT_TRUE(cp->tensors.empty());
  ConvertOptions opt;
  opt.to = msgpack_weights;
  auto plan = plan_conversion(*cp, opt);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, ErrorCode::convert_input);
  EXPECT_EQ(plan.error().message, cp->path + " has no tensor table");
}

}  // namespace
}  // namespace ckpt
