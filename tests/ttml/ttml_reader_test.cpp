// tt-train msgpack reader: detection, the key index with exact byte ranges, tensor
// grouping, number decoding, numpy arrays, eras, metadata, names and streaming.
#include <gtest/gtest.h>

#include <cmath>

#include "ckpt/tensor_stream.hpp"
#include "llama2c/formats.hpp"
#include "test_support.hpp"
#include "ttml/ttml.hpp"
#include "ttml_builder.hpp"

namespace ckpt {
namespace {

using namespace ttml;

using test::Mp;

std::vector<float> stream_all(const std::vector<uint8_t>& bytes, const Checkpoint& cp, const std::string& name,
                              size_t chunk = kDefaultChunkElems) {
  MemorySource src(bytes);
  std::vector<float> out;
  const TensorInfo* t = cp.find(name);
  EXPECT_NE(t, nullptr) << name;
  if (!t) return out;
  auto r = stream_f32(
      cp, *t,
      [&](uint64_t first, const float* v, size_t n) {
        EXPECT_EQ(first, out.size());
        out.insert(out.end(), v, v + n);
        return true;
      },
      chunk);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return out;
}

std::vector<std::string> rules(const Checkpoint& cp) {
  std::vector<std::string> r;
  for (const auto& f : cp.findings) r.push_back(f.rule);
  return r;
}

std::vector<uint8_t> writer_bytes(const ModelConfig& c, const std::string& prefix = "llama/llama") {
  auto w = test::make_weights(c);
  MemorySink sink;
  auto r = ttml::write_llama_msgpack(sink, c, w, prefix);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return sink.bytes();
}

TEST(TtmlReader, DetectsWriterOutputAndBuildsLlamaTable) {
  const ModelConfig c = test::gqa_config();
  auto bytes = writer_bytes(c);
  auto cp = test::open_bytes(bytes);
  ASSERT_TRUE(cp) << cp.error().message;
  EXPECT_EQ(cp->format, ttml::msgpack_weights);
  EXPECT_TRUE(cp->findings.empty()) << cp->findings[0].rule << ": " << cp->findings[0].message;
  ASSERT_TRUE(ttml::info_of(*cp));
  EXPECT_EQ(ttml::info_of(*cp)->era, TtmlEra::y2025);
  EXPECT_EQ(ttml::info_of(*cp)->model, "llama");
  EXPECT_EQ(ttml::info_of(*cp)->prefix, "llama/llama/");
  // tok_emb + 8 per layer + ln_fc; shared classifier: no fc. 7 keys per tensor.
  EXPECT_EQ(cp->tensors.size(), 1u + 8 * 2 + 1);
  EXPECT_EQ(ttml::info_of(*cp)->entries.size(), 7 * cp->tensors.size());
  EXPECT_TRUE(cp->metadata.empty());
  const TensorInfo* emb = test::tensor_named(*cp, "tok_embeddings.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->spec.name, "llama/llama/tok_emb/weight");
  EXPECT_EQ(emb->spec.shape, (std::vector<uint64_t>{1, 1, 96, 64}));
  EXPECT_EQ(emb->spec.dtype, DType::bf16);
  EXPECT_EQ(emb->spec.numel, 96u * 64);
  const TensorInfo* kv = test::tensor_named(*cp, "llama/llama/llama_block_1/attention/kv_linear/weight");
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(test::canonical_of(*cp, *kv), "layers.1.attention.wk.weight+layers.1.attention.wv.weight");
  EXPECT_EQ(kv->spec.shape, (std::vector<uint64_t>{1, 1, 64, 64}));  // 2 x kvd (32) rows
  const TtmlTensor* x = ttml::info_of(*cp)->find_tensor(kv->spec.name);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->data_type, 0);
  EXPECT_EQ(x->layout, 1);
  EXPECT_EQ(x->storage_type, 1);
  EXPECT_EQ(x->requires_grads, std::optional<bool>(true));
  EXPECT_EQ(x->has_grads, std::optional<bool>(false));
  // The data range is the array: its header is at place.offset, its end at the next key.
  const TtmlEntry& e = ttml::info_of(*cp)->entries[x->entry];
  EXPECT_EQ(kv->place.offset, e.payload_offset);
  EXPECT_EQ(kv->place.offset + kv->place.nbytes, e.end);
  EXPECT_EQ(bytes[kv->place.offset], 0xdc);  // array 16: 4096 elements
}

TEST(TtmlReader, KeysHaveExactByteRanges) {
  Mp m;
  m.map(2);
  const uint64_t k0 = m.pos();
  m.str("adamw/steps");
  const uint64_t v0 = m.pos();
  m.var(6).uint(1234);
  const uint64_t k1 = m.pos();
  m.str("w/value/data").var(10);
  const uint64_t p1 = m.pos();
  m.arr(2).f32(0.5f).f64(0.25);
  auto cp = test::open_bytes(m.b);
  ASSERT_TRUE(cp);
  const auto& es = ttml::info_of(*cp)->entries;
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0].key, "adamw/steps");
  EXPECT_EQ(es[0].key_offset, k0);
  EXPECT_EQ(es[0].value_offset, v0);
  EXPECT_EQ(es[0].payload_offset, v0 + 2);
  EXPECT_EQ(es[0].end, k1);
  EXPECT_EQ(es[0].variant, 6);
  EXPECT_EQ(es[0].type, MsgType::uint);
  EXPECT_EQ(es[0].int_value, std::optional<int64_t>(1234));
  EXPECT_EQ(es[1].payload_offset, p1);
  EXPECT_EQ(es[1].data_offset, p1 + 1);
  EXPECT_EQ(es[1].end, m.pos());
  EXPECT_EQ(es[1].n_f32, 1u);
  EXPECT_EQ(es[1].n_f64, 1u);
  ASSERT_EQ(cp->metadata.size(), 1u);
  EXPECT_EQ(cp->metadata[0].key, "adamw/steps");
  EXPECT_EQ(cp->metadata[0].value, "1234");
  EXPECT_EQ(cp->metadata[0].variant, 6);
  EXPECT_EQ(cp->metadata[0].type, "uint");
  EXPECT_EQ(cp->metadata[0].offset, k0);
  EXPECT_EQ(cp->metadata[0].nbytes, k1 - k0);
  // w has data but no shape: listed flat with a warning.
  ASSERT_EQ(cp->tensors.size(), 1u);
  EXPECT_EQ(cp->tensors[0].spec.name, "w");
  EXPECT_EQ(cp->tensors[0].spec.shape, (std::vector<uint64_t>{2}));
  EXPECT_EQ(rules(*cp), (std::vector<std::string>{"ttml.tensor_parts"}));
}

TEST(TtmlReader, DecodesMixedNumberEncodingsElementByElement) {
  // A hand-mixed data array: every msgpack number form.
  Mp m;
  m.map(5);
  m.str("t/value/shape").shape({1, 1, 2, 5});
  m.str("t/value/data_type").var(2).uint(1);
  m.str("t/value/layout").var(2).uint(1);
  m.str("t/value/storage_type").var(2).uint(1);
  m.str("t/value/data").var(10).arr(10);
  m.uint(1).sint(-2).f32(0.5f).f64(0.25).uint(300).sint(-200).uint(70000).f64(-1e-3).sint(-40000).uint(0);
  auto cp = test::open_bytes(m.b);
  ASSERT_TRUE(cp);
  EXPECT_TRUE(cp->findings.empty());
  const auto vals = stream_all(m.b, *cp, "t", 3);  // chunks that cut the array anywhere
  const std::vector<float> want{1, -2, 0.5f, 0.25f, 300, -200, 70000, float(-1e-3), -40000, 0};
  EXPECT_EQ(vals, want);
  const TtmlEntry& e = ttml::info_of(*cp)->entries[4];
  EXPECT_EQ(e.n_int, 7u);
  EXPECT_EQ(e.n_f32, 1u);
  EXPECT_EQ(e.n_f64, 2u);
}

TEST(TtmlReader, StreamsWriterValuesExactly) {
  const ModelConfig c = test::gqa_config();
  auto bytes = writer_bytes(c);
  auto cp = test::open_bytes(bytes);
  ASSERT_TRUE(cp);
  auto w = test::make_weights(c);
  // kv_linear = rows of wk then rows of wv.
  auto kv = stream_all(bytes, *cp, "llama/llama/llama_block_0/attention/kv_linear/weight", 1000);
  const auto& wk = w.tensors.at("layers.0.attention.wk.weight");
  const auto& wv = w.tensors.at("layers.0.attention.wv.weight");
  ASSERT_EQ(kv.size(), wk.size() + wv.size());
  EXPECT_TRUE(std::equal(wk.begin(), wk.end(), kv.begin()));
  EXPECT_TRUE(std::equal(wv.begin(), wv.end(), kv.begin() + long(wk.size())));
  // Canonical views split it back.
  MemorySource src(bytes);
  CheckpointWeights tw(*cp);
  TensorSpec spec{"layers.0.attention.wv.weight", DType::f32, {32, 64}, 32 * 64};
  std::vector<float> got;
  auto r = tw.values(spec, [&](uint64_t, const float* v, size_t n) {
    got.insert(got.end(), v, v + n);
    return true;
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(got, wv);
}

TEST(TtmlReader, ElementAtWalksMixedArrays) {
  Mp m;
  m.map(1);
  m.str("t/value/data").var(10).arr(4);
  const uint64_t e0 = m.pos();
  m.uint(7);  // 1 byte
  const uint64_t e1 = m.pos();
  m.f64(0.125);  // 9 bytes
  const uint64_t e2 = m.pos();
  m.sint(-300);  // d1 xx xx: 3 bytes
  const uint64_t e3 = m.pos();
  m.f32(2.5f);
  auto cp = test::open_bytes(m.b);
  ASSERT_TRUE(cp);
  MemorySource src(m.b);
  const TtmlTensor& x = ttml::info_of(*cp)->tensors[0];
  EXPECT_FALSE(x.uniform_stride);
  struct Want {
    uint64_t off, element, start;
    uint32_t length;
    std::string type;
    double value;
  };
  for (const Want& w : {Want{e0, 0, e0, 1, "uint", 7}, Want{e1 + 8, 1, e1, 9, "float64", 0.125},
                        Want{e2 + 1, 2, e2, 3, "int", -300}, Want{e3 + 4, 3, e3, 5, "float32", 2.5}}) {
    auto hit = ttml::element_at(src, x, w.off);
    ASSERT_TRUE(hit) << w.off;
    EXPECT_EQ(hit->element, w.element);
    EXPECT_EQ(hit->start, w.start);
    EXPECT_EQ(hit->length, w.length);
    EXPECT_EQ(hit->type, w.type);
    EXPECT_EQ(hit->value, std::optional<double>(w.value));
  }
  EXPECT_FALSE(ttml::element_at(src, x, e0 - 1));   // the array header
  EXPECT_FALSE(ttml::element_at(src, x, m.pos()));  // past the elements
}

TEST(TtmlReader, NumpyArraysAreTensors) {
  Mp m;
  m.map(1);
  m.str("llama/llama/tok_emb/weight/value/data").var(10);
  const uint64_t map_at = m.pos();
  m.map(5);
  m.bin({'n', 'd'}).boolean(true);
  m.bin({'t', 'y', 'p', 'e'}).str("<f4");
  m.bin({'k', 'i', 'n', 'd'}).bin({});
  m.bin({'s', 'h', 'a', 'p', 'e'}).arr(2).uint(2).uint(3);
  std::vector<float> v{1.5f, -2.25f, 0, 3, 4, 5.5f};
  std::vector<uint8_t> raw(24);
  std::memcpy(raw.data(), v.data(), 24);
  m.bin({'d', 'a', 't', 'a'});
  const uint64_t data_at = m.pos() + 2;  // after c4 18
  m.bin(raw);
  auto cp = test::open_bytes(m.b);
  ASSERT_TRUE(cp);
  EXPECT_TRUE(cp->findings.empty()) << cp->findings[0].message;
  ASSERT_EQ(cp->tensors.size(), 1u);
  const auto& t = cp->tensors[0];
  EXPECT_EQ(t.spec.name, "llama/llama/tok_emb/weight");
  EXPECT_EQ(t.spec.shape, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(t.place.offset, data_at);
  EXPECT_EQ(t.place.nbytes, 24u);
  EXPECT_TRUE(ttml::info_of(*cp)->entries[0].numpy);
  EXPECT_EQ(ttml::info_of(*cp)->entries[0].payload_offset, map_at);
  EXPECT_EQ(stream_all(m.b, *cp, t.spec.name), v);
  // --at on the third element of the raw bytes.
  MemorySource src(m.b);
  auto hit = ttml::element_at(src, *ttml::info_of(*cp)->find_tensor(t.spec.name), data_at + 9);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->element, 2u);
  EXPECT_EQ(hit->start, data_at + 8);
  EXPECT_EQ(hit->type, "<f4");
  EXPECT_EQ(hit->value, std::optional<double>(0.0));
}

TEST(TtmlReader, NumpyFloat64WithWrongByteCountIsNumelMismatch) {
  Mp m;
  m.map(1);
  m.str("x").var(11);
  const uint64_t map_at = m.pos();
  m.map(4);
  m.str("nd").boolean(true);
  m.str("type").str("<f8");
  m.str("shape").arr(1).uint(3);
  m.str("data").bin(std::vector<uint8_t>(16, 0));
  auto cp = test::open_bytes(m.b);
  ASSERT_TRUE(cp);
  ASSERT_EQ(rules(*cp), (std::vector<std::string>{"ttml.numel_mismatch"}));
  EXPECT_EQ(cp->findings[0].offset, std::optional<uint64_t>(map_at));
}

TEST(TtmlReader, October2024FilesAreRecognisedNotMisread) {
  Mp m;
  m.map(6);
  // An opaque struct dump as the shape, [12, array of uint] data (vector<uint32_t>).
  m.str("tok/value/shape").var(7).str(std::string("\x04\x00\x00\x00\x01\x00\x00\x00 opaque", 15));
  m.str("tok/value/data_type").var(2).uint(2);
  m.str("tok/value/layout").var(2).uint(0);
  m.str("tok/value/storage_type").var(2).uint(0);
  m.str("tok/value/data").var(12).arr(3).uint(7).uint(8).uint(9);
  m.str("names").var(13).arr(1).str("a");
  auto cp = test::open_bytes(m.b);
  ASSERT_TRUE(cp);
  EXPECT_EQ(ttml::info_of(*cp)->era, TtmlEra::y2024);
  ASSERT_EQ(rules(*cp), (std::vector<std::string>{"ttml.era"}));
  EXPECT_EQ(cp->findings[0].severity, Severity::info);
  ASSERT_EQ(cp->tensors.size(), 1u);
  EXPECT_EQ(cp->tensors[0].spec.dtype, DType::u32);
  EXPECT_EQ(cp->tensors[0].spec.shape, (std::vector<uint64_t>{3}));
  EXPECT_EQ(stream_all(m.b, *cp, "tok"), (std::vector<float>{7, 8, 9}));
  ASSERT_EQ(cp->metadata.size(), 1u);
  EXPECT_EQ(cp->metadata[0].key, "names");
}

TEST(TtmlReader, GradientsAndOptimizerMomentsAreTensors) {
  Mp m;
  m.map(17);
  test::put_tensor(m, "llama/llama/fc/weight", {1, 1, 1, 2}, {1, 2});
  m.str("llama/llama/fc/weight/requires_grads").var(0).boolean(true);
  m.str("llama/llama/fc/weight/has_grads").var(0).boolean(true);
  m.str("llama/llama/fc/weight/grad/shape").shape({1, 1, 1, 2});
  m.str("llama/llama/fc/weight/grad/data").var(10).arr(2).f32(0.5f).f32(0.25f);
  test::put_tensor(m, "adamw/first_moment/llama/llama/fc/weight", {1, 1, 1, 2}, {3, 4});
  m.str("adamw/steps").var(6).uint(10);
  m.str("llama/llama/llama_block_0/attention_norm/gamma/value/shape").shape({1, 1, 1, 1});
  m.str("llama/llama/llama_block_0/attention_norm/gamma/value/data").var(10).arr(1).uint(1);
  auto cp = test::open_bytes(m.b);
  ASSERT_TRUE(cp);
  EXPECT_TRUE(cp->findings.empty()) << cp->findings[0].message;
  ASSERT_EQ(cp->tensors.size(), 4u);
  EXPECT_EQ(cp->tensors[0].spec.name, "llama/llama/fc/weight");
  EXPECT_EQ(test::canonical_of(*cp, cp->tensors[0]), "output.weight");
  EXPECT_EQ(cp->tensors[1].spec.name, "llama/llama/fc/weight/grad");
  EXPECT_EQ(test::canonical_of(*cp, cp->tensors[1]), "");
  EXPECT_EQ(cp->tensors[2].spec.name, "adamw/first_moment/llama/llama/fc/weight");
  EXPECT_EQ(test::canonical_of(*cp, cp->tensors[2]), "");
  EXPECT_EQ(test::canonical_of(*cp, cp->tensors[3]), "layers.0.attention_norm.weight");
  EXPECT_EQ(ttml::info_of(*cp)->tensors[0].has_grads, std::optional<bool>(true));
  ASSERT_EQ(cp->metadata.size(), 1u);
  EXPECT_EQ(cp->metadata[0].key, "adamw/steps");
  EXPECT_EQ(stream_all(m.b, *cp, "llama/llama/fc/weight/grad"), (std::vector<float>{0.5f, 0.25f}));
}

TEST(TtmlReader, Gpt2KeepsItsOwnNames) {
  Mp m;
  m.map(10);
  test::put_tensor(m, "transformer/transformer/tok_emb/weight", {1, 1, 1, 2}, {1, 2});
  test::put_tensor(m, "transformer/transformer/gpt_block_0/ln1/gamma", {1, 1, 1, 2}, {1, 2});
  auto cp = test::open_bytes(m.b);
  ASSERT_TRUE(cp);
  EXPECT_EQ(ttml::info_of(*cp)->model, "gpt2");
  EXPECT_EQ(ttml::info_of(*cp)->prefix, "transformer/transformer/");
  for (const auto& t : cp->tensors) EXPECT_EQ(test::canonical_of(*cp, t), "");
}

TEST(TtmlReader, IndexReadsTheFileOnceInBoundedChunks) {
  const ModelConfig c = test::gqa_config();
  auto bytes = writer_bytes(c);
  MemorySource src(bytes);
  auto cp = open_checkpoint(src);
  ASSERT_TRUE(cp);
  // Detection reads a constant few bytes (the llama2.c family its 4-byte magic and 28-byte
  // v0 header, the tt-train family the first 64 bytes, the torch family the 4-byte zip
  // signature, the 15-byte legacy magic pickle and a bare pickle's 2-byte PROTO, the
  // safetensors family its 8-byte length and the header's first byte), and the index
  // then reads every byte exactly once.
  EXPECT_EQ(src.bytes_read(), 4 + 28 + 64 + 4 + 15 + 2 + 9 + bytes.size());
}

TEST(TtmlReader, V0HeaderStartingWithAFixmapByteIsNotMsgpack) {
  // dim = 128 makes the first byte 0x80 (an empty fixmap).
  ModelConfig c = test::gqa_config();
  c.dim = 128;
  c.n_heads = 8;
  c.hidden_dim = 64;
  auto bytes = test::write_bytes(llama2c::v0, c);
  ASSERT_EQ(bytes[0], 0x80);
  auto cp = test::open_bytes(bytes);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->format, llama2c::v0);
}

}  // namespace
}  // namespace ckpt
