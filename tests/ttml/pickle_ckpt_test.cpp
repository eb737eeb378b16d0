// tt-train's Python pickle checkpoints (formats/ttml/pickle_ckpt.cpp) against
// fixtures/ttml/fb/expected.json: every tensor's name, dtype, shape, data offset and
// values; canonical names and diff against the llama2.c file and the flatbuffer folder of
// the same weights; each ttpickle.* rule broken at its byte; hostile pickles reported,
// never run.
#include "ttml/pickle_ckpt.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "ckpt/checkpoint.hpp"
#include "ckpt/views.hpp"
#include "fb_test_util.hpp"

namespace ckpt {
namespace {

using nlohmann::json;
namespace fb = test::fb;

const std::string kStream = "pickle/tiny_llama.ckpt", kNanogpt = "pickle/tiny_llama_step_10.pkl";

std::vector<uint8_t> stream_bytes() { return test::read_file(fb::fixture(kStream)); }

// The generator's record i of the stream (expected.json), and where it starts.
const json& record(size_t i) { return fb::expected()["tensors"]["pickle"][i]; }
uint64_t record_offset(size_t i) { return record(i)["record_offset"].get<uint64_t>(); }

// "model[llama/fc/weight]" -> "model/llama/fc/weight": the generator's key is the group and
// the parameter name; ckpt joins them with '/'.
std::string tensor_name(const std::string& key) {
  const size_t open = key.find('[');
  return key.substr(0, open) + "/" + key.substr(open + 1, key.size() - open - 2);
}

uint32_t width_of(const std::string& dtype) { return dtype == "BFLOAT16" ? 2 : 4; }

// The opcode that holds an array's bytes sits just before them: SHORT_BINBYTES 'C' and a
// one-byte length below 256 bytes, BINBYTES 'B' and a u32 length above.
void expect_bytes_opcode(const std::vector<uint8_t>& file, uint64_t at, uint64_t nbytes, const std::string& what) {
  if (nbytes < 256) {
    EXPECT_EQ(file[at - 2], 'C') << what;
    EXPECT_EQ(file[at - 1], nbytes) << what;
  } else {
    EXPECT_EQ(file[at - 5], 'B') << what;
    EXPECT_EQ(fb::get_u32(file, at - 4), nbytes) << what;
  }
}

// A record ends with the array's bytes, then MEMOIZE, TUPLE, MEMOIZE, BUILD, STOP (what
// pickle writes after them for BUILD's (1, shape, dtype, False, data) state).
uint64_t data_offset_of(const json& e, const std::vector<uint8_t>& file) {
  const uint64_t nbytes = e["numel"].get<uint64_t>() * width_of(e["dtype"]);
  const uint64_t at = e["record_offset"].get<uint64_t>() + e["record_bytes"].get<uint64_t>() - 5 - nbytes;
  expect_bytes_opcode(file, at, nbytes, e["key"]);
  const std::vector<uint8_t> tail(file.begin() + std::ptrdiff_t(at + nbytes),
                                  file.begin() + std::ptrdiff_t(at + nbytes + 5));
  EXPECT_EQ(tail, (std::vector<uint8_t>{0x94, 0x74, 0x94, 0x62, 0x2e})) << e["key"];
  return at;
}

// min, max and the first eight exactly; the sums to rounding (numpy sums pairwise).
void expect_stats(const std::vector<float>& v, const json& e, const json& first8, const std::string& what) {
  ASSERT_EQ(v.size(), e["numel"].get<size_t>()) << what;
  double sum = 0, sq = 0, mn = INFINITY, mx = -INFINITY;
  for (float x : v) sum += x, sq += double(x) * x, mn = std::min<double>(mn, x), mx = std::max<double>(mx, x);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(double(v[i]), first8[i].get<double>()) << what << " [" << i << "]";
  EXPECT_EQ(mn, e["min"].get<double>()) << what;
  EXPECT_EQ(mx, e["max"].get<double>()) << what;
  EXPECT_NEAR(sum, e["sum"].get<double>(), 1e-9 * std::max(1.0, std::fabs(sum))) << what;
  EXPECT_NEAR(sq, e["sum_sq"].get<double>(), 1e-9 * std::max(1.0, sq)) << what;
}

const MetadataEntry* metadata(const Checkpoint& cp, const std::string& key) {
  for (const auto& m : cp.metadata)
    if (m.key == key) return &m;
  return nullptr;
}

std::vector<Finding> findings_of(const Checkpoint& cp, const std::string& rule) {
  std::vector<Finding> out;
  for (const auto& f : cp.findings)
    if (f.rule == rule) out.push_back(f);
  return out;
}

// Where `needle` (bytes, compared as unsigned) first occurs at or after `from`.
size_t find_in(const std::vector<uint8_t>& b, const std::string& needle, size_t from) {
  const std::vector<uint8_t> n(needle.begin(), needle.end());
  auto it = std::search(b.begin() + std::ptrdiff_t(std::min(from, b.size())), b.end(), n.begin(), n.end());
  EXPECT_NE(it, b.end()) << "no " << needle;
  return it == b.end() ? SIZE_MAX : size_t(it - b.begin());
}

TEST(TtmlPickle, StreamMatchesExpectedJson) {
  const std::vector<uint8_t> file = stream_bytes();
  auto cp = open_path(fb::fixture(kStream));
  ASSERT_TRUE(cp) << cp.error().message;
  EXPECT_EQ(cp->format, ttml::pickle_stream);
  EXPECT_TRUE(cp->findings.empty()) << cp->findings[0].rule << " " << cp->findings[0].message;
  const auto& all = fb::expected()["tensors"]["pickle"];
  ASSERT_EQ(cp->tensors.size(), all.size());
  const ttml::PickleInfo* info = ttml::pickle_info_of(*cp);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->format_version, 1);
  EXPECT_EQ(info->protocol, 4);
  EXPECT_EQ(info->model, "llama");
  EXPECT_EQ(info->prefix, "model/llama/");
  EXPECT_EQ(info->header_end, all[0]["record_offset"].get<uint64_t>());  // record 0 ends where the first array starts
  EXPECT_EQ(info->records_end, file.size());
  ASSERT_EQ(info->records.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    const json& e = all[i];
    const TensorInfo& t = cp->tensors[i];  // file order is the manifest's
    const std::string name = tensor_name(e["key"]);
    EXPECT_EQ(t.spec.name, name);
    EXPECT_EQ(t.spec.dtype, e["dtype"] == "BFLOAT16" ? DType::bf16 : DType::f32) << name;
    EXPECT_EQ(t.spec.shape, e["logical_shape"].get<std::vector<uint64_t>>()) << name;
    EXPECT_EQ(t.status, TensorStatus::complete) << name;
    EXPECT_EQ(t.place.storage, Storage::raw) << name;
    EXPECT_EQ(t.place.offset, data_offset_of(e, file)) << name;
    EXPECT_EQ(t.place.nbytes, e["numel"].get<uint64_t>() * width_of(e["dtype"])) << name;
    EXPECT_EQ(info->records[i].record_offset, e["record_offset"].get<uint64_t>()) << name;
    EXPECT_EQ(info->records[i].record_end, e["record_offset"].get<uint64_t>() + e["record_bytes"].get<uint64_t>())
        << name;
    EXPECT_EQ(info->records[i].manifest_dtype, e["dtype"]) << name;
    EXPECT_EQ(info->records[i].array_dtype, e["dtype"] == "BFLOAT16" ? "ml_dtypes.bfloat16" : "f4") << name;
    expect_stats(fb::values(*cp, t), e, e["first8"], name);
  }
  EXPECT_EQ(info->records[0].layout, "TILE");
  // The header and the manifest's scalars (the optimizer's step count and flag).
  ASSERT_EQ(cp->metadata.size(), 4u);
  EXPECT_EQ(metadata(*cp, "header/step")->value, "10");
  EXPECT_EQ(metadata(*cp, "header/model_type")->value, "llama");
  EXPECT_EQ(metadata(*cp, "optimizer/steps")->value, "10");
  EXPECT_EQ(metadata(*cp, "optimizer/amsgrad")->value, "False");
  EXPECT_EQ(metadata(*cp, "optimizer/amsgrad")->type, "bool");
}

TEST(TtmlPickle, NanogptMatchesExpectedJson) {
  const std::vector<uint8_t> file = test::read_file(fb::fixture(kNanogpt));
  auto cp = open_path(fb::fixture(kNanogpt));
  ASSERT_TRUE(cp) << cp.error().message;
  EXPECT_EQ(cp->format, ttml::nanogpt_pickle);
  const auto& all = fb::expected()["tensors"]["nanogpt_pickle"];
  ASSERT_EQ(cp->tensors.size(), all.size());
  const ttml::PickleInfo* info = ttml::pickle_info_of(*cp);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->prefix, "model_state/llama/");
  EXPECT_EQ(info->records_end, file.size());
  uint64_t previous = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    const json& e = all[i];
    const TensorInfo& t = cp->tensors[i];
    const std::string key = e["key"];
    const std::string name = tensor_name(key);
    EXPECT_EQ(t.spec.name, name);
    EXPECT_EQ(t.spec.dtype, DType::f32) << name;
    EXPECT_EQ(t.spec.shape, e["logical_shape"].get<std::vector<uint64_t>>()) << name;
    const uint64_t nbytes = e["numel"].get<uint64_t>() * 4;
    EXPECT_EQ(t.place.nbytes, nbytes) << name;
    // The bytes follow their BINBYTES opcode and length, in the model_state order.
    EXPECT_GT(t.place.offset, previous) << name;
    expect_bytes_opcode(file, t.place.offset, nbytes, name);
    previous = t.place.offset;
    // The values are the flatbuffer folder's (the generator drops first8 here to keep the
    // fixtures small).
    const std::string param = key.substr(key.find('[') + 1, key.size() - key.find('[') - 2);
    const json& same = fb::expected_tensor("flatbuffer", "llama/" + param + "/value");
    ASSERT_FALSE(same.is_null()) << param;
    expect_stats(fb::values(*cp, t), e, same["first8"], name);
    // train_nanogpt.py stores layout.value: ttnn's ROW_MAJOR is 0, TILE 1.
    EXPECT_EQ(info->records[i].layout, param == "llama/ln_fc/gamma" ? "0" : "1") << name;
  }
  EXPECT_EQ(metadata(*cp, "step")->value, "10");
  EXPECT_EQ(metadata(*cp, "tokenizer")->value, "object of __main__.CharTokenizer");
  EXPECT_EQ(metadata(*cp, "model_config")->value, "object of __main__.ModelConfig");
  // The script's classes would be imported by pickle.load: warnings, the file is read.
  ASSERT_EQ(cp->findings.size(), 3u);
  const char* classes[] = {"__main__.CharTokenizer", "__main__.ModelConfig", "__main__.TrainingConfig"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(cp->findings[i].rule, "security.unknown_global");
    EXPECT_EQ(cp->findings[i].severity, Severity::warning);
    EXPECT_EQ(cp->findings[i].subject, classes[i]);
    // The STACK_GLOBAL opcode ('\x93') after the module and class strings.
    ASSERT_TRUE(cp->findings[i].offset);
    EXPECT_EQ(file[*cp->findings[i].offset], 0x93) << classes[i];
  }
}

TEST(TtmlPickle, CanonicalViewsThroughTheNameTable) {
  auto cp = open_path(fb::fixture(kStream));
  ASSERT_TRUE(cp);
  size_t canonical = 0;
  for (const auto& v : canonical_views(*cp)) {
    if (!v.canonical) {
      EXPECT_TRUE(v.name.starts_with("optimizer/")) << v.name;
      continue;
    }
    ++canonical;
    if (v.name == "layers.1.attention.wv.weight") {
      EXPECT_EQ(cp->tensors[v.tensor].spec.name, "model/llama/llama_block_1/attention/kv_linear/weight");
      EXPECT_EQ(v.row_begin, 32u);
      EXPECT_EQ(v.shape, (std::vector<uint64_t>{32, 64}));
    }
    if (v.name == "norm.weight") {
      EXPECT_EQ(v.shape, (std::vector<uint64_t>{64}));
    }
  }
  // 2 layers x 9 (kv_linear gives wk and wv) + embedding, norm, classifier.
  EXPECT_EQ(canonical, 21u);
}

TEST(TtmlPickle, DiffAgainstTheLlama2cFileAndTheFolderOfTheSameWeights) {
  const std::string stream = fb::fixture(kStream);
  auto r = test::run_ckpt({"diff", stream, fb::fixture("fb/tiny_llama_v0.bin"), "--json"});
  // Every weight equal; the embedding and the classifier hold tt-train's 32 rows (the
  // padded vocabulary, trained values in this fixture, not zeros) against v0's 24.
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const json d = json::parse(r.out);
  size_t equal = 0;
  for (const auto& t : d["tensors"]) {
    // v0's RoPE tables and the optimizer state: stored by one side only, not compared.
    if (t["layout_only"] == true || t["name"] == "freqs_cos" || t["name"] == "freqs_sin") continue;
    if (t["name"] == "tok_embeddings.weight" || t["name"] == "output.weight") {
      EXPECT_EQ(t["status"], "shape_mismatch") << t.dump();
      EXPECT_EQ(t["diagnosis"]["kind"], "truncated") << t.dump();
      EXPECT_NE(t["diagnosis"]["detail"].get<std::string>().find("first 24 of A's 32 rows, and they are equal"),
                std::string::npos)
          << t.dump();
      continue;
    }
    EXPECT_EQ(t["status"], "equal") << t.dump();
    ++equal;
  }
  EXPECT_EQ(equal, 19u);
  // Against the flatbuffer folder: all equal but layers.1 w2, which the folder stores as
  // bfloat8_b (lossy) and checkpointing.py as bfloat16.
  r = test::run_ckpt({"diff", stream, fb::fixture("fb/tiny_llama"), "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  size_t compared = 0;
  const json folder = json::parse(r.out);
  for (const auto& t : folder["tensors"]) {
    if (t["layout_only"] == true) continue;  // optimizer state: the names differ (AdamW/... in the folder)
    EXPECT_EQ(t["status"], t["name"] == "layers.1.feed_forward.w2.weight" ? "differs" : "equal") << t.dump();
    ++compared;
  }
  EXPECT_EQ(compared, 21u);
  // The train_nanogpt.py pickle (block 0 only) against the stream: its tensors are equal.
  r = test::run_ckpt({"diff", fb::fixture(kNanogpt), stream, "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  size_t only_b = 0;
  const json nanogpt = json::parse(r.out);
  for (const auto& t : nanogpt["tensors"]) {
    if (t["layout_only"] == true) continue;
    if (t["status"] == "only_in_b") {
      EXPECT_TRUE(t["name"].get<std::string>().starts_with("layers.1.")) << t.dump();
      ++only_b;
    } else {
      EXPECT_EQ(t["status"], "equal") << t.dump();
    }
  }
  EXPECT_EQ(only_b, 9u);
}

TEST(TtmlPickle, CommandsReadBothFiles) {
  for (const std::string& f : {kStream, kNanogpt}) {
    auto r = test::run_ckpt({"validate", fb::fixture(f)});
    EXPECT_EQ(r.exit_code, 0) << f << r.out;
    r = test::run_ckpt({"inspect", fb::fixture(f), "--json"});
    EXPECT_EQ(r.exit_code, 0) << f;
    EXPECT_EQ(json::parse(r.out)["format"], f == kStream ? "ttml-pickle" : "ttml-nanogpt-pickle") << r.out;
  }
  // --at names the tensor and element of a byte of an array's data.
  auto cp = open_path(fb::fixture(kStream));
  ASSERT_TRUE(cp);
  const TensorInfo* t = cp->find("model/llama/ln_fc/gamma");
  ASSERT_TRUE(t);
  auto r = test::run_ckpt({"inspect", fb::fixture(kStream), "--at", std::to_string(t->place.offset + 4 * 3 + 1)});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find(fmt::format("at byte {} ", t->place.offset + 13)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("model/llama/ln_fc/gamma element 3 [0, 0, 0, 3] (f32), byte 1 of it; value 0.964844"),
            std::string::npos)
      << r.out;
  // Bytes of the pickles around the arrays name their record.
  r = test::run_ckpt({"inspect", fb::fixture(kStream), "--at", "100"});
  EXPECT_NE(r.out.find("at byte 100 (0x64): record 0: the header and manifest pickle (bytes 0..1732), byte 100 of it"),
            std::string::npos)
      << r.out;
  r = test::run_ckpt({"inspect", fb::fixture(kStream), "--at", std::to_string(record_offset(1) + 3)});
  EXPECT_NE(r.out.find(fmt::format("record 2 (model/llama/llama_block_0/attention/kv_linear/weight): its array "
                                   "pickle (reconstruct call, shape, dtype) (bytes {}..{}), byte 3 of it",
                                   record_offset(1), record_offset(2) - 1)),
            std::string::npos)
      << r.out;
  // The family's section: protocol, framing, model, metadata; per tensor its record.
  r = test::run_ckpt({"inspect", fb::fixture(kStream), "--json"});
  const json d = json::parse(r.out);
  EXPECT_EQ(d["pickle"]["protocol"], 4);
  EXPECT_EQ(d["pickle"]["format_version"], 1);
  EXPECT_EQ(d["pickle"]["header_end"], record_offset(0));
  EXPECT_EQ(d["pickle"]["records_end"], 259232);
  EXPECT_EQ(d["pickle"]["prefix"], "model/llama/");
  EXPECT_EQ(d["pickle"]["llama"]["n_layers"], 2);
  EXPECT_EQ(d["metadata"].size(), 4u);
  EXPECT_EQ(d["tensors"][17]["pickle"]["record_offset"], record_offset(17));
  EXPECT_EQ(d["tensors"][17]["pickle"]["array_dtype"], "f4");
  EXPECT_EQ(d["tensors"][17]["pickle"]["layout"], "ROW_MAJOR");
  r = test::run_ckpt({"inspect", fb::fixture(kStream)});
  EXPECT_NE(r.out.find("tt-train pickle checkpoint (ttml/checkpointing.py stream)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("optimizer/amsgrad = False [bool, byte "), std::string::npos) << r.out;
}

// ---- rules, each at its byte ----------------------------------------------------------

Result<Checkpoint> open_stream(const std::vector<uint8_t>& bytes, OpenOptions opt = {}) {
  return test::open_bytes(bytes, opt);
}

TEST(TtmlPickleRules, HeaderFormatVersion) {
  std::vector<uint8_t> b = stream_bytes();
  // "format" then BININT1 1: K\x01
  const size_t k = find_in(b, std::string("format\x94K\x01", 9), 0) + 7;
  ASSERT_EQ(b[k], 'K');
  b[k + 1] = 2;
  auto cp = open_stream(b);
  ASSERT_TRUE(cp);
  auto f = findings_of(*cp, "ttpickle.header");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].offset, k);
  EXPECT_NE(f[0].message.find("format version 2"), std::string::npos) << f[0].message;
  EXPECT_EQ(cp->tensors.size(), 57u);  // still read: the records are what version 1 writes
}

TEST(TtmlPickleRules, HeaderThatIsNoManifestDict) {
  // Protocol 2: {"format": 1, "header": {}, "manifest": []}.
  const std::string p = std::string("\x80\x02}(X\x06\0\0\0", 9) + "formatK" + std::string("\x01X\x06\0\0\0", 6) +
                        "header}" + std::string("X\x08\0\0\0", 5) + "manifest]u.";
  auto cp = open_stream(std::vector<uint8_t>(p.begin(), p.end()));
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->format, ttml::pickle_stream);
  auto f = findings_of(*cp, "ttpickle.header");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].offset, 0u);
  EXPECT_TRUE(cp->tensors.empty());
}

TEST(TtmlPickleRules, RecordThatIsNoArray) {
  std::vector<uint8_t> b = stream_bytes();
  // Record 0's callable renamed: numpy.core.multiarray._reconstrucX.
  const size_t at = find_in(b, "_reconstruct", record_offset(0));
  b[at + 11] = 'X';
  auto cp = open_stream(b);
  ASSERT_TRUE(cp);
  auto f = findings_of(*cp, "ttpickle.record");
  ASSERT_EQ(f.size(), 1u);
  // At the REDUCE opcode ('R' after TUPLE3 and MEMOIZE).
  const size_t reduce = find_in(b, "\x87\x94R", record_offset(0)) + 2;
  EXPECT_EQ(f[0].offset, reduce);
  EXPECT_EQ(f[0].subject, "model/llama/fc/weight");
  EXPECT_EQ(cp->tensors.size(), 56u);
  // The renamed global is on no list: its import is reported.
  auto g = findings_of(*cp, "security.unknown_global");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].subject, "numpy.core.multiarray._reconstrucX");
}

TEST(TtmlPickleRules, DtypeBigEndianAndUnknownClass) {
  std::vector<uint8_t> b = stream_bytes();
  // ln_fc/gamma (record 17, float32): byte order '<' -> '>'.
  ASSERT_EQ(record(17)["key"], "model[llama/ln_fc/gamma]");
  const size_t order = find_in(b, "\x8c\x01<", record_offset(17)) + 2;
  b[order] = '>';
  // tok_emb (record 18, bfloat16): ml_dtypes.bfloat17.
  const size_t cls = find_in(b, "bfloat16", record_offset(18));
  b[cls + 7] = '7';
  auto cp = open_stream(b);
  ASSERT_TRUE(cp);
  auto f = findings_of(*cp, "ttpickle.dtype");
  ASSERT_EQ(f.size(), 2u);
  // At the numpy.dtype REDUCE of each record (the second "\x87\x94R" of the record).
  auto dtype_reduce = [&](size_t i) {
    return find_in(b, "\x87\x94R", find_in(b, "\x87\x94R", record_offset(i)) + 3) + 2;
  };
  EXPECT_EQ(f[0].offset, dtype_reduce(17));
  EXPECT_NE(f[0].message.find("big-endian"), std::string::npos) << f[0].message;
  EXPECT_EQ(f[1].offset, dtype_reduce(18));
  EXPECT_NE(f[1].message.find("ml_dtypes.bfloat17"), std::string::npos) << f[1].message;
  EXPECT_EQ(cp->tensors.size(), 55u);
}

TEST(TtmlPickleRules, DtypeOtherThanTheManifestSays) {
  std::vector<uint8_t> b = stream_bytes();
  // The manifest's first FLOAT32 (ln_fc/gamma's) -> FLOAT64: same length.
  const size_t at = find_in(b, "FLOAT32", 0);
  ASSERT_LT(at, record_offset(0));
  b[at + 5] = '6', b[at + 6] = '4';
  auto cp = open_stream(b);
  ASSERT_TRUE(cp);
  auto f = findings_of(*cp, "ttpickle.dtype");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].offset, record_offset(17));
  EXPECT_EQ(f[0].subject, "model/llama/ln_fc/gamma");
  EXPECT_NE(f[0].message.find("the manifest says FLOAT64, the array is f4"), std::string::npos) << f[0].message;
  EXPECT_EQ(cp->tensors.size(), 57u);  // read as the array says
}

TEST(TtmlPickleRules, DataLength) {
  std::vector<uint8_t> b = stream_bytes();
  // fc/weight's shape (1, 1, 32, 64) -> (1, 1, 16, 64): 2048 bytes needed, 4096 held.
  const size_t shape = find_in(b, std::string("(K\x01K\x01K K@t", 10), record_offset(0));
  b[shape + 6] = 16;
  auto cp = open_stream(b);
  ASSERT_TRUE(cp);
  auto f = findings_of(*cp, "ttpickle.data_length");
  ASSERT_EQ(f.size(), 1u);
  const uint64_t data = record_offset(1) - 5 - 4096;
  EXPECT_EQ(f[0].offset, data - 5);  // the BINBYTES opcode
  EXPECT_NE(f[0].message.find("holds 4096 bytes; its shape and dtype ml_dtypes.bfloat16 need 2048"), std::string::npos)
      << f[0].message;
}

TEST(TtmlPickleRules, MissingRecordsAndTrailingBytes) {
  const std::vector<uint8_t> whole = stream_bytes();
  // Cut inside the last record, then exactly after record 55 (before the last).
  std::vector<uint8_t> b(whole.begin(), whole.begin() + std::ptrdiff_t(record_offset(56) + 100));
  auto cp = open_stream(b);
  ASSERT_TRUE(cp);
  auto f = findings_of(*cp, "ttpickle.missing_record");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].offset, record_offset(56));
  EXPECT_NE(f[0].message.find("ends inside record 57 of 57 (optimizer/exp_avg_sq/llama/tok_emb/weight): 1 tensors"),
            std::string::npos)
      << f[0].message;
  EXPECT_EQ(cp->tensors.size(), 56u);
  EXPECT_EQ(findings_of(*cp, "pickle.truncated").size(), 1u);
  b.resize(record_offset(56));
  cp = open_stream(b);
  ASSERT_TRUE(cp);
  f = findings_of(*cp, "ttpickle.missing_record");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].message.find("ends before record 57"), std::string::npos) << f[0].message;
  EXPECT_TRUE(findings_of(*cp, "pickle.truncated").empty());
  // Bytes after the last record: a warning at the first of them.
  b = whole;
  b.insert(b.end(), {0x80, 0x04, 0x4e, 0x2e});
  cp = open_stream(b);
  ASSERT_TRUE(cp);
  f = findings_of(*cp, "ttpickle.trailing");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].offset, whole.size());
  EXPECT_EQ(f[0].severity, Severity::warning);
  EXPECT_EQ(cp->trailing_bytes, 4u);
}

TEST(TtmlPickleRules, TooManyRecordsStopsAtTheCap) {
  OpenOptions opt;
  opt.limits.max_pickle_tensors = 20;  // the model's 19 tensors, then one of exp_avg
  auto cp = open_stream(stream_bytes(), opt);
  ASSERT_TRUE(cp);
  auto f = findings_of(*cp, "ttpickle.too_many_records");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(cp->tensors.size(), 20u);
  // At the named_parameters dict that declares the 21st tensor (exp_avg's second): its
  // names are memo references to the model's, so the dict is where this group starts.
  // "exp_avg", MEMOIZE, EMPTY_DICT (the group), MEMOIZE, BINGET "named_parameters", EMPTY_DICT.
  const std::vector<uint8_t> b = stream_bytes();
  const size_t exp_avg = find_in(b, std::string("exp_avg\x94}\x94h", 11), 0);
  ASSERT_EQ(b[exp_avg + 12], '}');
  EXPECT_EQ(f[0].offset, exp_avg + 12);
  // The records after the cap are not claimed by anything: they trail.
  EXPECT_EQ(findings_of(*cp, "ttpickle.trailing").size(), 0u);
}

TEST(TtmlPickleRules, NanogptShapeDisagreesWithTheArray) {
  std::vector<uint8_t> b = test::read_file(fb::fixture(kNanogpt));
  // fc/weight's "shape" (1, 1, 32, 64) -> (1, 1, 33, 64) (the array's own shape is first in
  // the BUILD state and stays).
  const size_t shape_key = find_in(b, "shape", 0);
  const size_t tuple = find_in(b, std::string("K\x01K\x01K K@", 8), shape_key);
  b[tuple + 5] = 33;
  auto cp = test::open_bytes(b);
  ASSERT_TRUE(cp);
  auto f = findings_of(*cp, "ttpickle.record");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].subject, "model_state/llama/fc/weight");
  EXPECT_EQ(f[0].offset, tuple + 8);  // the TUPLE opcode that builds it (MARK, four BININT1, TUPLE)
  EXPECT_NE(f[0].message.find("(1, 1, 33, 64)"), std::string::npos) << f[0].message;
}

// ---- hostile pickles -------------------------------------------------------------------

std::string marker_path(const std::string& name) { return test::temp_dir() + "/" + name; }

TEST(TtmlPickleSecurity, ARecordCallingOsSystemIsReportedNeverRun) {
  const std::vector<uint8_t> whole = stream_bytes();
  const std::string marker = marker_path("ttml_pickle_pwned");
  std::filesystem::remove(marker);
  // Record 0 (fc/weight) replaced by os.system('touch <marker>') in protocol 0.
  const std::string evil = "cos\nsystem\n(S'touch " + marker + "'\ntR.";
  std::vector<uint8_t> b(whole.begin(), whole.begin() + std::ptrdiff_t(record_offset(0)));
  b.insert(b.end(), evil.begin(), evil.end());
  b.insert(b.end(), whole.begin() + std::ptrdiff_t(record_offset(1)), whole.end());
  const std::string path = test::write_temp("ttml_evil.ckpt", b);
  auto cp = open_path(path);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->format, ttml::pickle_stream);
  auto f = findings_of(*cp, "security.dangerous_global");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::error);
  EXPECT_EQ(f[0].offset, record_offset(0));  // the GLOBAL opcode
  EXPECT_EQ(f[0].subject, "os.system");
  EXPECT_NE(f[0].message.find("os.system('touch " + marker + "')"), std::string::npos) << f[0].message;
  // The record is no array; the rest of the stream is read.
  ASSERT_EQ(findings_of(*cp, "ttpickle.record").size(), 1u);
  EXPECT_EQ(cp->tensors.size(), 56u);
  // Every command reports it; nothing ran.
  auto r = test::run_ckpt({"validate", path, "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("security.dangerous_global"), std::string::npos);
  EXPECT_EQ(test::run_ckpt({"inspect", path, "--stats"}).exit_code, 0);
  test::run_ckpt({"diff", path, fb::fixture(kStream)});
  test::run_ckpt({"hash", path});
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(TtmlPickleSecurity, AHeaderRecordCallingOsSystemIsReportedNeverRun) {
  const std::string marker = marker_path("ttml_pickle_header_pwned");
  std::filesystem::remove(marker);
  // {"format": 1, "header": os.system('touch <marker>'), "manifest": {}} in protocol 2.
  std::string p = std::string("\x80\x02}(X\x06\0\0\0", 9) + "formatK" + std::string("\x01X\x06\0\0\0", 6) + "header";
  const size_t global = p.size();
  p += "cos\nsystem\n(S'touch " + marker + "'\ntR";
  p += std::string("X\x08\0\0\0", 5) + "manifest}u.";
  const std::vector<uint8_t> b(p.begin(), p.end());
  auto cp = test::open_bytes(b);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->format, ttml::pickle_stream);
  auto f = findings_of(*cp, "security.dangerous_global");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].offset, global);
  EXPECT_EQ(findings_of(*cp, "ttpickle.header").size(), 1u);  // the header is no dict
  EXPECT_TRUE(cp->tensors.empty());
  const std::string path = test::write_temp("ttml_evil_header.ckpt", b);
  EXPECT_EQ(test::run_ckpt({"validate", path}).exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(marker));
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

// A pickle checkpoint converts like any tt-train file: to llama2.c v0 with the values
// tt-train does not store passed in, the padding rows dropped by --vocab-size.
TEST(TtmlPickle, ConvertsToTheLlama2cFileOfTheSameWeights) {
  const std::string out = test::temp_dir() + "/from_pickle_v0.bin";
  std::filesystem::remove(out);
  auto r = test::run_ckpt({"convert", fb::fixture(kStream), out, "--to", "llama2c-v0", "--n-heads", "2", "--seq-len",
                           "32", "--vocab-size", "24"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string v0 = fb::fixture("fb/tiny_llama_v0.bin");
  EXPECT_EQ(test::read_file(out).size(), test::read_file(v0).size());
  r = test::run_ckpt({"diff", out, v0, "--json"});
  const json d = json::parse(r.out);
  size_t equal = 0;
  for (const auto& t : d["tensors"]) {
    // The RoPE tables are computed by each writer (ckpt's and the generator's differ in
    // the last bit of a few values); the weights are the pickle's.
    if (t["name"] == "freqs_cos" || t["name"] == "freqs_sin") continue;
    EXPECT_EQ(t["status"], "equal") << t.dump();
    ++equal;
  }
  EXPECT_EQ(equal, 21u);
  EXPECT_EQ(d["config"].size(), 0u) << d["config"].dump();  // dim, layers, heads, vocab, seq_len agree
}

}  // namespace
}  // namespace ckpt

#include <fstream>

#include "torch/pickle_reader.hpp"

namespace ckpt {
namespace {

// Protocol 2 pieces written by hand: BINUNICODE, and a one-tensor checkpointing.py stream.
std::string uni(const std::string& s) {
  std::string out = "X";
  const uint32_t n = uint32_t(s.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  return out + s;
}

std::string one_tensor_header(const std::string& name) {
  return std::string("\x80\x02}(", 4) + uni("format") + std::string("K\x01", 2) + uni("header") + "}" +
         uni("manifest") + "}" + uni("model") + "}" + uni("named_parameters") + "}" + uni(name) + "}(" + uni("layout") +
         uni("ROW_MAJOR") + uni("dtype") + uni("FLOAT32") + "usssu.";
}

// An array record up to its data: _reconstruct(ndarray, (0,), b'b'), then BUILD's state
// (1, (n,), dtype('f4') with state (3, '<', ...), False, BINBYTES of n * 4 bytes...
std::string array_record_head(uint32_t n) {
  std::string r =
      "\x80\x02"
      "cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n";
  r += std::string("K\x00\x85", 3) +
       std::string(
           "C\x01"
           "b",
           3) +
       "\x87R(";
  r += std::string("K\x01J", 3);
  r.append(reinterpret_cast<const char*>(&n), 4);
  r += "\x85"
       "cnumpy\ndtype\n" +
       uni("f4") + "\x89\x88\x87R(" + std::string("K\x03", 2) + uni("<") + "NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xff" +
       std::string("K\x00", 2) + "tb\x89";
  const uint32_t nbytes = n * 4;
  r += "B";
  r.append(reinterpret_cast<const char*>(&nbytes), 4);
  return r;
}
// ...then the bytes, and TUPLE, BUILD, STOP.
const std::string kArrayRecordTail = "tb.";

TEST(TtmlPickleLimits, AnArrayAbove256MiBIsPlacedNotRefused) {
  // 300 MiB of float32 inside one record (above PickleLimits::max_string, under which a
  // bytes argument of a torch pickle stops): a sparse file, read header-only.
  const uint32_t n = 300u << 18;  // 300 MiB / 4
  const std::string head = one_tensor_header("llama/ln_fc/gamma"), rec = array_record_head(n);
  const std::string path = test::temp_dir() + "/big_array.ckpt";
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << head << rec;
    f.seekp(std::streamoff(head.size() + rec.size() + uint64_t(n) * 4));
    f << kArrayRecordTail;
  }
  auto src = FileSource::open(path);
  ASSERT_TRUE(src);
  std::shared_ptr<const ByteSource> shared = std::move(*src);
  auto cp = open_checkpoint(shared);
  ASSERT_TRUE(cp) << cp.error().message;
  EXPECT_EQ(cp->format, ttml::pickle_stream);
  EXPECT_TRUE(cp->findings.empty()) << cp->findings[0].rule << " " << cp->findings[0].message;
  ASSERT_EQ(cp->tensors.size(), 1u);
  EXPECT_EQ(cp->tensors[0].spec.name, "model/llama/ln_fc/gamma");
  EXPECT_EQ(cp->tensors[0].spec.shape, (std::vector<uint64_t>{n}));
  EXPECT_EQ(cp->tensors[0].place.offset, head.size() + rec.size());
  EXPECT_EQ(cp->tensors[0].place.nbytes, uint64_t(n) * 4);
  // Detection and the index read headers and a 64 KiB prefix of the bytes, not the data.
  EXPECT_LT(shared->bytes_read(), 512u * 1024) << shared->bytes_read();
  std::filesystem::remove(path);
}

TEST(TtmlPickleLimits, BytesObjectCapIsSeparateFromTheStringCap) {
  // 100 bytes of BINBYTES, then the same as BINUNICODE, under max_string 10.
  const std::string bytes = std::string(
                                "\x80\x02"
                                "B\x64\x00\x00\x00",
                                7) +
                            std::string(100, 'x') + ".";
  const std::string text = std::string("\x80\x02", 2) + uni(std::string(100, 'x')) + ".";
  torch::PickleLimits lim;
  lim.max_string = 10;
  for (const uint64_t bytes_cap : {uint64_t(0), uint64_t(1000)}) {
    lim.max_bytes_object = bytes_cap;
    MemorySource b(std::vector<uint8_t>(bytes.begin(), bytes.end())), t(std::vector<uint8_t>(text.begin(), text.end()));
    auto rb = torch::unpickle(b, 0, b.size(), lim), rt = torch::unpickle(t, 0, t.size(), lim);
    ASSERT_TRUE(rb && rt);
    EXPECT_EQ(rb->complete, bytes_cap != 0) << bytes_cap;  // 0: max_string applies to bytes too
    EXPECT_FALSE(rt->complete) << bytes_cap;               // text is read whole: max_string always
    ASSERT_FALSE(rt->findings.empty());
    EXPECT_EQ(rt->findings[0].rule, "pickle.limit_string");
  }
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

// Protocol 5 (Python 3.14's default): real numpy writes _frombuffer(bytearray, dtype,
// shape, order); fixtures/ttml/make_pickle5_fixture.py.
TEST(TtmlPickle, Protocol5ArraysFromNumpy) {
  const std::vector<uint8_t> b = test::read_file(fb::fixture("pickle/protocol5.ckpt"));
  auto cp = open_path(fb::fixture("pickle/protocol5.ckpt"));
  ASSERT_TRUE(cp) << cp.error().message;
  EXPECT_EQ(cp->format, ttml::pickle_stream);
  EXPECT_TRUE(cp->findings.empty()) << cp->findings[0].rule << " " << cp->findings[0].message;
  EXPECT_EQ(ttml::pickle_info_of(*cp)->protocol, 5);
  ASSERT_EQ(cp->tensors.size(), 2u);
  // Each array's bytes follow its BYTEARRAY8 opcode (0x96) and u64 length.
  size_t from = ttml::pickle_info_of(*cp)->header_end;
  const std::vector<std::vector<uint64_t>> shapes = {{64}, {2, 3}};
  for (size_t i = 0; i < 2; ++i) {
    const TensorInfo& t = cp->tensors[i];
    const size_t op = find_in(b, "\x96", find_in(b, "_frombuffer", from));
    uint64_t len = 0;
    std::memcpy(&len, b.data() + op + 1, 8);
    EXPECT_EQ(t.place.offset, op + 9) << t.spec.name;
    EXPECT_EQ(t.place.nbytes, len) << t.spec.name;
    EXPECT_EQ(t.spec.shape, shapes[i]) << t.spec.name;
    EXPECT_EQ(ttml::pickle_info_of(*cp)->records[i].array_dtype, "f4");
    const std::vector<float> v = fb::values(*cp, t);
    ASSERT_EQ(v.size(), i == 0 ? 64u : 6u);
    for (size_t k = 0; k < v.size(); ++k) EXPECT_EQ(v[k], i == 0 ? float(k) / 8 : float(k) - 2.5f) << t.spec.name << k;
    from = op + 9 + len;
  }
  EXPECT_EQ(cp->tensors[0].spec.name, "model/llama/ln_fc/gamma");
  EXPECT_EQ(cp->tensors[1].spec.name, "model/llama/fc/weight");
  // Order 'F' for a matrix is refused at the REDUCE (the record's last one).
  std::vector<uint8_t> f = b;
  const size_t order = find_in(f,
                               std::string("\x8c\x01"
                                           "C",
                                           3),
                               cp->tensors[1].place.offset);
  f[order + 2] = 'F';
  auto bad = test::open_bytes(f);
  ASSERT_TRUE(bad);
  auto found = findings_of(*bad, "ttpickle.record");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(f[*found[0].offset], 'R');
  EXPECT_NE(found[0].message.find("Fortran"), std::string::npos) << found[0].message;
}

}  // namespace
}  // namespace ckpt
