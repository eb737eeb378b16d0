// Every rule of the catalogue, broken and passed: reference writer + byte mutation, each
// case asserting the rule id, its severity and the exact byte offset of the culprit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <set>

#include "ckpt/rule_catalogue.hpp"
#include "ckpt/scan_kernels.hpp"
#include "llama2c/formats.hpp"
#include "validate_support.hpp"

namespace ckpt {
namespace {

using namespace test;

struct Case {
  Case(std::string n, std::function<std::vector<uint8_t>()> m, std::string r, bool b, std::optional<uint64_t> o = {},
       std::string s = {}, std::function<void(ValidateOptions&)> opt = {}, std::optional<Severity> sev = {})
      : name(std::move(n)),
        make(std::move(m)),
        rule(std::move(r)),
        breaks(b),
        offset(o),
        subject(std::move(s)),
        options(std::move(opt)),
        severity(sev) {}
  std::string name;
  std::function<std::vector<uint8_t>()> make;
  std::string rule;
  bool breaks;                     // true: the rule must fire; false: it must not
  std::optional<uint64_t> offset;  // the culprit's byte (breaking cases)
  std::string subject;             // tensor or header field (breaking cases, when not empty)
  std::function<void(ValidateOptions&)> options;
  std::optional<Severity> severity;  // when not the catalogue's
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

const Format V0 = llama2c::v0, V1 = llama2c::ak42_v1_fp32, V1Q = llama2c::ak42_v1_q8_0, V2 = llama2c::ak42_v2_q8_0,
             V2L = llama2c::ak42_v2_q8_0_scales_last, TOK = llama2c::tokenizer;

std::vector<uint8_t> file(Format f, const ModelConfig& c = gqa_config()) { return write_bytes(f, c); }

// Applies a mutation to a fresh file.
std::function<std::vector<uint8_t>()> mutated(Format f, std::function<void(std::vector<uint8_t>&)> m,
                                              ModelConfig c = gqa_config()) {
  return [=] {
    auto b = write_bytes(f, c);
    m(b);
    return b;
  };
}
std::function<std::vector<uint8_t>()> intact(Format f, ModelConfig c = gqa_config()) {
  return [=] { return write_bytes(f, c); };
}

uint64_t off(Format f, const std::string& tensor, uint64_t element = 0, const ModelConfig& c = gqa_config()) {
  const Placement p = place_of(f, c, tensor);
  return p.offset + (llama2c::is_q8(f) && tensor.find("norm") == std::string::npos ? 1 : 4) * element;
}
uint64_t scale_off(Format f, const std::string& tensor, uint64_t group, const ModelConfig& c = gqa_config()) {
  return place_of(f, c, tensor).scale_offset + 4 * group;
}

// dim 6: the exporter's group size backs off to 2, and tok_embeddings (vocab 3) has 18
// int8 values, which pushes its interleaved scales to an offset that is 2 mod 4.
ModelConfig odd_config() {
  ModelConfig c;
  c.dim = 6;
  c.hidden_dim = 8;
  c.n_layers = 1;
  c.n_heads = 1;
  c.n_kv_heads = 1;
  c.vocab_size = 3;
  c.seq_len = 4;
  return c;
}

// dim 48 with 16 heads: head size 3, odd.
ModelConfig odd_head_config() {
  ModelConfig c = untied_config();
  c.n_heads = 16;
  c.n_kv_heads = 16;
  return c;
}

ValidateOptions tokenizer_forced() {
  ValidateOptions o;
  o.forced_format = TOK;
  return o;
}

std::vector<Case> cases() {
  const std::string wq0 = "layers.0.attention.wq.weight", w2_1 = "layers.1.feed_forward.w2.weight";
  const std::string emb = "tok_embeddings.weight";
  std::vector<Case> v;
  // detect.* and io.*: nothing fits, or nothing can be read.
  v.push_back({"EmptyFile", [] { return std::vector<uint8_t>{}; }, "detect.empty", true, 0});
  v.push_back({"RandomBytes",
               [] {
                 std::vector<uint8_t> b(1000);
                 uint32_t x = 12345;
                 for (auto& ch : b) ch = uint8_t((x = x * 1103515245u + 12345u) >> 24);
                 return b;
               },
               "detect.unknown", true, 0});
  v.push_back({"V0Detected", intact(V0), "detect.unknown", false, {}});
  v.push_back({"NotEmpty", intact(V1), "detect.empty", false, {}});

  // header.*
  v.push_back({"Ak42CutInVersion",
               [] {
                 auto b = file(V2);
                 b.resize(6);
                 return b;
               },
               "header.truncated", true, 6, "version"});
  v.push_back({"Ak42CutInHeader",
               [] {
                 auto b = file(V2);
                 b.resize(30);
                 return b;
               },
               "header.truncated", true, 30, "vocab_size"});
  v.push_back({"V0ForcedCutInHeader",
               [] {
                 auto b = file(V0);
                 b.resize(10);
                 return b;
               },
               "header.truncated", true, 10, "n_layers", [](ValidateOptions& o) { o.forced_format = V0; }});
  v.push_back({"HeaderComplete", intact(V2), "header.truncated", false, {}});
  v.push_back({"V2BadMagic", mutated(V2, [](auto& b) { b[0] = 'X'; }), "header.magic", true, 0, "magic"});
  v.push_back(
      {"V1BadMagic", mutated(V1, [](auto& b) { put_i32(b, 0, 0x12345678); }), "header.magic", true, 0, "magic"});
  v.push_back({"GoodMagic", intact(V1Q), "header.magic", false, {}});
  v.push_back({"UnknownVersion", mutated(V2, [](auto& b) { put_i32(b, 4, 3); }), "header.version", true, 4, "version"});
  v.push_back({"KnownVersion", intact(V1), "header.version", false, {}});
  v.push_back({"V0ZeroHeads", mutated(V0, [](auto& b) { put_i32(b, 12, 0); }), "header.value", true, 12, "n_heads"});
  v.push_back({"V0ZeroVocab", mutated(V0, [](auto& b) { put_i32(b, 20, 0); }), "header.value", true, 20, "vocab_size"});
  v.push_back({"Ak42NegativeDim", mutated(V1, [](auto& b) { put_i32(b, 8, -64); }), "header.value", true, 8, "dim"});
  v.push_back(
      {"Ak42NegativeVocab", mutated(V2, [](auto& b) { put_i32(b, 28, -96); }), "header.value", true, 28, "vocab_size"});
  v.push_back({"Ak42ZeroSeqLen", mutated(V1, [](auto& b) { put_i32(b, 32, 0); }), "header.value", true, 32, "seq_len"});
  v.push_back(
      {"Ak42HugeLayers", mutated(V1, [](auto& b) { put_i32(b, 16, 1 << 20); }), "header.value", true, 16, "n_layers"});
  v.push_back(
      {"V0FiveThousandLayers", mutated(V0, [](auto& b) { put_i32(b, 8, 5000); }), "header.value", true, 8, "n_layers"});
  v.push_back({"Ak42HugeSeqLen", mutated(V2, [](auto& b) { put_i32(b, 32, (1 << 20) + 1); }), "header.value", true, 32,
               "seq_len"});
  v.push_back({"V0NegativeVocabIsUntied", intact(V0, untied_config()), "header.value", false, {}});
  v.push_back({"Overflow",
               mutated(V1,
                       [](auto& b) {
                         // One w1 alone is (2^31-2)^2 elements: its 4-byte size overflows 64 bits.
                         put_i32(b, 8, 0x7ffffffe);
                         put_i32(b, 12, 0x7ffffffe);
                         put_i32(b, 16, 2);
                         put_i32(b, 20, 2);
                         put_i32(b, 24, 2);
                       }),
               "header.overflow", true, 0});
  v.push_back({"NoOverflow", intact(V1), "header.overflow", false, {}});
  v.push_back(
      {"SharedFlag7", mutated(V2, [](auto& b) { b[36] = 7; }), "header.shared_flag", true, 36, "shared_classifier"});
  v.push_back({"SharedFlag0", intact(V2, untied_config()), "header.shared_flag", false, {}});
  v.push_back({"PaddingByte", mutated(V2, [](auto& b) { b[100] = 1; }), "header.padding", true, 100, "padding"});
  v.push_back({"V1Fp32GroupSizeBytes", mutated(V1, [](auto& b) { b[40] = 9; }), "header.padding", true, 40, "padding"});
  v.push_back({"PaddingZero", intact(V1), "header.padding", false, {}});

  // config.*
  v.push_back(
      {"V0FiveHeads", mutated(V0, [](auto& b) { put_i32(b, 12, 5); }), "config.dim_heads", true, 12, "n_heads"});
  v.push_back({"HeadsDivideDim", intact(V0), "config.dim_heads", false, {}});
  v.push_back(
      {"Ak42ThreeKvHeads", mutated(V1, [](auto& b) { put_i32(b, 24, 3); }), "config.kv_heads", true, 24, "n_kv_heads"});
  v.push_back({"KvHeadsDivide", intact(V1), "config.kv_heads", false, {}});
  v.push_back({"OddHeadSize", intact(V0, odd_head_config()), "config.head_size", true, 12, "n_heads"});
  v.push_back({"EvenHeadSize", intact(V0, untied_config()), "config.head_size", false, {}});

  // quant.* from the header
  v.push_back(
      {"GroupSizeZero", mutated(V2, [](auto& b) { put_i32(b, 37, 0); }), "quant.group_size", true, 37, "group_size"});
  v.push_back({"GroupSizeNegative", mutated(V1Q, [](auto& b) { put_i32(b, 37, -64); }), "quant.group_size", true, 37,
               "group_size", [](ValidateOptions& o) { o.forced_format = V1Q; }});
  v.push_back({"GroupSizePositive", intact(V2), "quant.group_size", false, {}});
  v.push_back({"GroupSize24", mutated(V2, [](auto& b) { put_i32(b, 37, 24); }), "quant.group_dim", true, 37,
               "group_size", [](ValidateOptions& o) { o.forced_format = V2; }});
  v.push_back({"GroupSizeDividesDim", intact(V2), "quant.group_dim", false, {}});
  {
    ModelConfig c24 = gqa_config();
    c24.group_size = 24;
    v.push_back({"GroupSize24Numel", mutated(V2, [](auto& b) { put_i32(b, 37, 24); }), "quant.group_numel", true,
                 place_of(V2, c24, wq0).offset, wq0, [](ValidateOptions& o) { o.forced_format = V2; }});
  }
  v.push_back({"NumelDivisible", intact(V1Q), "quant.group_numel", false, {}});
  v.push_back({"Hidden172Gs64", intact(V2), "quant.group_hidden", true, 37, "group_size"});
  v.push_back({"Hidden128Gs16", intact(V2, untied_config()), "quant.group_hidden", false, {}});

  // quant.* from the data
  v.push_back({"NanScale", mutated(V2, [=](auto& b) { put_f32(b, scale_off(V2, emb, 3), NAN); }),
               "quant.scale_nonfinite", true, scale_off(V2, emb, 3), emb});
  v.push_back({"InfScaleScalesLast", mutated(V2L, [=](auto& b) { put_f32(b, scale_off(V2L, w2_1, 5), INFINITY); }),
               "quant.scale_nonfinite", true, scale_off(V2L, w2_1, 5), w2_1});
  v.push_back({"FiniteScales", intact(V1Q), "quant.scale_nonfinite", false, {}});
  v.push_back({"NegativeScale", mutated(V2, [=](auto& b) { put_f32(b, scale_off(V2, wq0, 2), -0.01f); }),
               "quant.scale_nonpositive", true, scale_off(V2, wq0, 2), wq0});
  v.push_back({"ZeroScaleNonZeroGroup", mutated(V1Q, [=](auto& b) { put_f32(b, scale_off(V1Q, wq0, 1), 0.0f); }),
               "quant.scale_nonpositive", true, scale_off(V1Q, wq0, 1), wq0});
  v.push_back({"ZeroScaleZeroGroup",
               mutated(V2,
                       [=](auto& b) {
                         const uint64_t gs = 64, q = off(V2, wq0) + gs * 1;
                         for (uint64_t i = 0; i < gs; ++i) b[q + i] = 0;
                         put_f32(b, scale_off(V2, wq0, 1), 0.0f);
                       }),
               "quant.scale_nonpositive",
               false,
               {}});
  v.push_back({"Int8Minus128", mutated(V2, [=](auto& b) { b[off(V2, emb, 5)] = 0x80; }), "quant.int8_min", true,
               off(V2, emb, 5), emb});
  v.push_back({"Int8InRange", intact(V2), "quant.int8_min", false, {}});

  // align.*
  v.push_back({"MisalignedScales", intact(V2, odd_config()), "align.f32", true,
               place_of(V2, odd_config(), emb).scale_offset, emb});
  v.push_back({"AlignedScales", intact(V2), "align.f32", false, {}});
  v.push_back(
      {"V0Require8", intact(V0), "align.required", true, 28, emb, [](ValidateOptions& o) { o.require_alignment = 8; }});
  v.push_back({"V1Require256", intact(V1), "align.required", false, {}, "", [](ValidateOptions& o) {
                 o.require_alignment = 256;
               }});

  // size.*, layout.*
  {
    const uint64_t cut = off(V0, wq0, 100) + 2;
    v.push_back({"V0Truncated", mutated(V0, [=](auto& b) { b.resize(cut); }), "size.truncated", true, cut, wq0});
  }
  {
    const uint64_t cut = scale_off(V2, emb, 1) + 1;  // inside tok_embeddings' scales
    v.push_back(
        {"V2TruncatedInScales", mutated(V2, [=](auto& b) { b.resize(cut); }), "size.truncated", true, cut, emb});
  }
  v.push_back({"ExactSize", intact(V2), "size.truncated", false, {}});
  {
    const uint64_t size = file(V0).size();
    v.push_back({"V0Trailing", mutated(V0, [](auto& b) { b.resize(b.size() + 3, 0); }), "size.trailing", true, size});
  }
  v.push_back({"NoTrailing", intact(V0), "size.trailing", false, {}});
  {
    // An untied model written with a positive vocab_size: the classifier trails.
    const uint64_t tied_size = file(V0).size();
    v.push_back({"V0UntiedWithPositiveVocab",
                 [] {
                   auto b = write_bytes(V0, [] {
                     ModelConfig c = gqa_config();
                     c.shared_classifier = false;
                     return c;
                   }());
                   put_i32(b, 20, 96);
                   return b;
                 },
                 "size.trailing", true, tied_size});
  }
  v.push_back({"NeitherOrderFits",
               mutated(V2,
                       [=](auto& b) {
                         put_f32(b, scale_off(V2, emb, 0), -1.0f);
                         put_f32(b, scale_off(V2L, emb, 0), -1.0f);
                       }),
               "layout.q8_order",
               true,
               256,
               "",
               {},
               Severity::error});
  v.push_back({"OrderDecided", intact(V2L), "layout.q8_order", true, 256, "", {}, Severity::info});

  // tokenizer.*
  v.push_back({"TokenizerTooSmall",
               [] {
                 return std::vector<uint8_t>{1, 2};
               },
               "tokenizer.header", true, 0, "", [](ValidateOptions& o) { o = tokenizer_forced(); }});
  v.push_back({"TokenizerReadable",
               [] { return tokenizer_bytes(40); },
               "tokenizer.header",
               false,
               {},
               "",
               [](ValidateOptions& o) { o = tokenizer_forced(); }});
  v.push_back({"TokenLengthHuge",
               [] {
                 auto b = tokenizer_bytes(40);
                 put_i32(b, tokenizer_entry_offset(27) + 4, 1 << 30);
                 return b;
               },
               "tokenizer.entry", true, tokenizer_entry_offset(27) + 4, "token 27",
               [](ValidateOptions& o) { o = tokenizer_forced(); }});
  v.push_back({"TokenizerCut",
               [] {
                 auto b = tokenizer_bytes(40);
                 b.resize(tokenizer_entry_offset(39) + 8);  // the last token's length, not its byte
                 return b;
               },
               "tokenizer.entry", true, tokenizer_entry_offset(39), "token 39",
               [](ValidateOptions& o) { o = tokenizer_forced(); }});
  v.push_back({"TokenizerEntriesInside",
               [] { return tokenizer_bytes(40); },
               "tokenizer.entry",
               false,
               {},
               "",
               [](ValidateOptions& o) { o = tokenizer_forced(); }});
  v.push_back({"TokenLongerThanMax", [] { return tokenizer_bytes(40, 2); }, "tokenizer.max_length", true, 0,
               "max_token_length", [](ValidateOptions& o) { o = tokenizer_forced(); }});
  v.push_back({"TokensWithinMax",
               [] { return tokenizer_bytes(40, 3); },
               "tokenizer.max_length",
               false,
               {},
               "",
               [](ValidateOptions& o) { o = tokenizer_forced(); }});
  v.push_back({"TokenizerCount95", intact(V0), "tokenizer.vocab", true, 20, "vocab_size", [](ValidateOptions& o) {
                 o.tokenizer = TokenizerRef{"tok", 95};
               }});
  v.push_back({"TokenizerCount96Ak42", intact(V2), "tokenizer.vocab", false, {}, "", [](ValidateOptions& o) {
                 o.tokenizer = TokenizerRef{"tok", 96};
               }});
  v.push_back({"TokenizerCount95Ak42", intact(V1), "tokenizer.vocab", true, 28, "vocab_size", [](ValidateOptions& o) {
                 o.tokenizer = TokenizerRef{"tok", 95};
               }});

  // expect.*
  v.push_back({"ExpectLayers3", intact(V1), "expect.config", true, 16, "n_layers",
               [](ValidateOptions& o) { o.expect.values["n_layers"] = 3; }});
  v.push_back({"ExpectUntiedOnV0", intact(V0), "expect.config", true, 20, "vocab_size",
               [](ValidateOptions& o) { o.expect.values["shared_classifier"] = 0; }});
  v.push_back({"ExpectTokenizerCount",
               [] { return tokenizer_bytes(40); },
               "expect.config",
               true,
               {},
               "vocab_size",
               [](ValidateOptions& o) {
                 o = tokenizer_forced();
                 o.expect.values["vocab_size"] = 41;
               }});
  v.push_back({"ExpectMatches", intact(V2), "expect.config", false, {}, "", [](ValidateOptions& o) {
                 o.expect.values = {{"dim", 64}, {"n_layers", 2}, {"group_size", 64}, {"head_size", 8}, {"kv_dim", 32}};
               }});
  v.push_back({"ExpectFormatV2", intact(V0), "expect.format", true, {}, "format", [](ValidateOptions& o) {
                 o.expect.format = V2;
               }});
  v.push_back({"ExpectFormatScalesLast", intact(V2L), "expect.format", false, {}, "", [](ValidateOptions& o) {
                 o.expect.format = V2L;
               }});

  // data.*
  v.push_back({"NanInW2", mutated(V0, [=](auto& b) { put_f32(b, off(V0, w2_1, 10), NAN); }), "data.nonfinite", true,
               off(V0, w2_1, 10), w2_1});
  v.push_back({"InfInNormOfQ8", mutated(V2, [=](auto& b) { put_f32(b, off(V2, "norm.weight", 7), -INFINITY); }),
               "data.nonfinite", true, off(V2, "norm.weight", 7), "norm.weight"});
  v.push_back({"InfInV1Embedding", mutated(V1, [=](auto& b) { put_f32(b, off(V1, emb, 99), INFINITY); }),
               "data.nonfinite", true, off(V1, emb, 99), emb});
  v.push_back({"AllFinite", intact(V1), "data.nonfinite", false, {}});
  v.push_back({"ZeroWo",
               mutated(V0,
                       [=](auto& b) {
                         const Placement p = place_of(V0, gqa_config(), "layers.0.attention.wo.weight");
                         std::fill(b.begin() + long(p.offset), b.begin() + long(p.offset + p.nbytes), 0);
                       }),
               "data.zero_matrix", true, off(V0, "layers.0.attention.wo.weight"), "layers.0.attention.wo.weight"});
  v.push_back({"ZeroQ8Matrix",
               mutated(V2,
                       [=](auto& b) {
                         const Placement p = place_of(V2, gqa_config(), "layers.1.attention.wv.weight");
                         std::fill(b.begin() + long(p.offset), b.begin() + long(p.offset + p.nbytes), 0);
                         std::fill(b.begin() + long(p.scale_offset), b.begin() + long(p.scale_offset + p.scale_nbytes),
                                   0);
                       }),
               "data.zero_matrix", true, off(V2, "layers.1.attention.wv.weight"), "layers.1.attention.wv.weight"});
  v.push_back({"NoZeroMatrix", intact(V2), "data.zero_matrix", false, {}});
  v.push_back({"RopeValueOff",
               mutated(V0,
                       [=](auto& b) {
                         const uint64_t o = off(V0, "freqs_cos", 37);
                         float x;
                         std::memcpy(&x, b.data() + o, 4);
                         put_f32(b, o, x + 0.01f);
                       }),
               "data.rope", true, off(V0, "freqs_cos", 37), "freqs_cos"});
  v.push_back({"RopeSinZeros",
               mutated(V0,
                       [=](auto& b) {
                         const Placement p = place_of(V0, gqa_config(), "freqs_sin");
                         std::fill(b.begin() + long(p.offset), b.begin() + long(p.offset + p.nbytes), 0);
                       }),
               "data.rope", true, off(V0, "freqs_sin"), "freqs_sin"});
  v.push_back({"RopeOneUlp",
               mutated(V0,
                       [=](auto& b) {
                         const uint64_t o = off(V0, "freqs_sin", 100);
                         float x;
                         std::memcpy(&x, b.data() + o, 4);
                         put_f32(b, o, std::nextafter(x, 2.0f));
                       }),
               "data.rope",
               false,
               {}});
  v.push_back({"RopeExact", intact(V0, untied_config()), "data.rope", false, {}});
  return v;
}

class ValidateRule : public ::testing::TestWithParam<Case> {};

TEST_P(ValidateRule, FiresExactlyWhereExpected) {
  const Case& c = GetParam();
  ASSERT_NE(find_rule(c.rule), nullptr) << c.rule << " is not in the catalogue";
  const auto bytes = c.make();
  ValidateOptions opt;
  if (c.options) c.options(opt);
  const FileReport r = validate_bytes(bytes, opt);
  // Whatever fires, parse findings included, is documented in the catalogue.
  for (const auto& x : r.findings) EXPECT_NE(find_rule(x.rule), nullptr) << x.rule << " is not in the catalogue";
  const ValidationFinding* f = find_rule_in(r, c.rule);
  if (!c.breaks) {
    EXPECT_EQ(f, nullptr) << dump(r);
    return;
  }
  ASSERT_NE(f, nullptr) << dump(r);
  EXPECT_EQ(f->offset, c.offset) << dump(r);
  EXPECT_EQ(f->severity, c.severity.value_or(find_rule(c.rule)->severity)) << dump(r);
  if (!c.subject.empty()) {
    EXPECT_EQ(f->tensor.empty() ? f->field : f->tensor, c.subject) << dump(r);
  }
  // An error finding makes the file invalid; a warning only under --strict.
  if (f->severity == Severity::error) {
    EXPECT_FALSE(r.valid(false));
  }
  if (f->severity == Severity::warning) {
    EXPECT_FALSE(r.valid(true));
  }
}

INSTANTIATE_TEST_SUITE_P(ValidateCatalogue, ValidateRule, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

// Every rule of the catalogue has a breaking case and a passing case above, except the
// ones that need a source that fails (io.*) or a format not built yet (data.bf16): those
// are covered in validate_edge_test.cpp.
TEST(ValidateRule, EveryRuleHasABreakingAndAPassingCase) {
  std::set<std::string> broken, passed;
  for (const auto& c : cases()) (c.breaks ? broken : passed).insert(c.rule);
  // Rules whose breaking and passing files are built elsewhere: the tt-train findings in
  // ttml_corrupt_test.cpp and ttml_rules_extra_test.cpp (each with its exact offset), the
  // flatbuffer checkpoints' rules (scopes tensorbin and tar) in ttml/fb_rules_test.cpp,
  // the manifest rules in validate_manifest_test.cpp.
  const std::set<std::string> elsewhere{"io.open", "io.read", "data.bf16", "ttml.io"};
  for (const auto& r : rule_catalogue()) {
    const std::string id(r.id);
    if (elsewhere.count(id) || id.rfind("ttml.", 0) == 0 || id.rfind("manifest.", 0) == 0) continue;
    // tt-train's flatbuffer, tar and pickle rules are broken and passed with their offsets
    // in tests/ttml (fb_rules_test.cpp, pickle_ckpt_test.cpp).
    if (r.scope == RuleScope::tagged && (r.tag == "tensorbin" || r.tag == "tar" || r.tag == "ttpickle")) continue;
    // The PyTorch and safetensors families' rules are fired by their readers' tests
    // (tests/torch: pickles, zips, torch.save files built byte by byte, each finding at
    // its offset) and by the folder tests (tests/torch/torch_family_test.cpp,
    // tests/safetensors/hf_folder_test.cpp).
    bool family_tested = false;
    for (const char* p : {"torch.", "pickle.", "zip.", "security.", "safetensors.", "meta.", "hf."})
      family_tested = family_tested || id.rfind(p, 0) == 0;
    if (family_tested) continue;
    EXPECT_TRUE(broken.count(id)) << id << " has no breaking case";
    if (id != "layout.q8_order") {
      EXPECT_TRUE(passed.count(id)) << id << " has no passing case";
    }
  }
}

TEST(ValidateRule, ReferenceFilesOfEveryLayoutHaveNoErrorsOrWarnings) {
  for (Format f : {V0, V1, V1Q, V2, V2L}) {
    for (const ModelConfig& c : {untied_config(), odd_head_config()}) {
      if (c.n_heads == 16) continue;  // odd head size: covered above
      const FileReport r = validate_bytes(write_bytes(f, c));
      EXPECT_EQ(r.format, f);
      EXPECT_TRUE(r.valid(true)) << format_name(f) << "\n" << dump(r);
      EXPECT_TRUE(r.scanned);
    }
  }
}

TEST(ValidateRule, CatalogueIdsAreUniqueAndFamiliesArePrefixes) {
  std::set<std::string_view> ids;
  for (const auto& r : rule_catalogue()) {
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_NE(r.id.find('.'), std::string_view::npos) << r.id;
    EXPECT_FALSE(r.what.empty());
    EXPECT_FALSE(r.why.empty());
  }
}

}  // namespace
}  // namespace ckpt
