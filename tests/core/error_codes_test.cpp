// The error code catalogue: every code has a stable, unique "area.name" and a meaning,
// and every code is produced, exactly, by the failure it names.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <functional>
#include <set>

#include "ckpt/byte_sink.hpp"
#include "ckpt/convert.hpp"
#include "ckpt/inspect_report.hpp"
#include "ckpt/manifest.hpp"
#include "ckpt/tensor_stream.hpp"
#include "ckpt/validate.hpp"
#include "llama2c/formats.hpp"
#include "llama2c/layout.hpp"
#include "llama2c/writer.hpp"
#include "test_support.hpp"
#include "ttml/ttml.hpp"
#include "zip_reader.hpp"

namespace ckpt {
namespace {

TEST(ErrorCodes, NamesAreUniqueDottedAndExplained) {
  std::set<std::string_view> names;
  for (const auto& c : error_codes()) {
    EXPECT_TRUE(names.insert(c.name).second) << c.name;
    EXPECT_EQ(std::count(c.name.begin(), c.name.end(), '.'), 1) << c.name;
    EXPECT_FALSE(c.meaning.empty()) << c.name;
    EXPECT_EQ(error_code_name(c.code), c.name);
  }
  EXPECT_EQ(names.size(), size_t(ErrorCode::format_structure) + 1);  // every enumerator is listed
}

// A failure that must produce exactly this code.
struct Case {
  ErrorCode code;
  std::function<std::optional<Error>()> fail;
};

template <class T>
std::optional<Error> error_of(const Result<T>& r) {
  return r ? std::nullopt : std::optional<Error>(r.error());
}

std::vector<Case> cases() {
  using namespace llama2c;
  const ModelConfig c = test::gqa_config();
  return {
      {ErrorCode::io_open, [] { return error_of(FileSource::open(test::temp_dir() + "/absent.bin")); }},
      {ErrorCode::io_read,
       [] {
         // One element past the last tensor of the file: past its end.
         auto cp = test::open_bytes(test::write_bytes(v0, test::gqa_config()));
         float v = 0;
         return error_of(read_raw_f32(*cp, cp->tensors.back(), cp->tensors.back().spec.numel, 1, &v));
       }},
      {ErrorCode::io_create, [] { return error_of(AtomicFile::create(test::temp_dir() + "/no/such/folder/x.bin")); }},
      {ErrorCode::io_write,
       [] {
         MemorySink sink;
         uint8_t b = 0;
         return error_of(sink.write_at(uint64_t(1) << 40, &b, 1));  // beyond the in-memory image limit
       }},
      {ErrorCode::io_commit,
       [] {
         // Renaming a file over a non-empty folder fails at commit, after every byte was written.
         const std::string target = test::temp_dir() + "/commit-target";
         ::mkdir(target.c_str(), 0755);
         test::write_temp("commit-target/keep", {1});
         auto f = AtomicFile::create(target);
         if (!f) return std::optional<Error>(f.error());
         return error_of((*f)->commit());
       }},
      {ErrorCode::detect_empty, [] { return error_of(test::open_bytes({})); }},
      {ErrorCode::detect_unknown, [] { return error_of(test::open_bytes(std::vector<uint8_t>(64, 0xff))); }},
      {ErrorCode::detect_truncated,
       [] {
         return error_of(test::open_bytes({0x32, 0x34, 0x6b, 0x61, 2}));
       }},
      {ErrorCode::detect_forced,
       [] {
         OpenOptions o;
         o.forced_format = Format::unknown;
         return error_of(test::open_bytes({1, 2, 3}, o));
       }},
      {ErrorCode::layout_config,
       [c] {
         ModelConfig bad = c;
         bad.n_heads = 0;
         return error_of(tensor_specs(v0, bad));
       }},
      {ErrorCode::layout_format, [c] { return error_of(tensor_specs(tokenizer, c)); }},
      {ErrorCode::layout_overflow,
       [c] {
         ModelConfig big = c;
         big.dim = big.hidden_dim = 1 << 30;
         big.n_heads = big.n_kv_heads = 1;
         big.vocab_size = int64_t(1) << 31;
         return error_of(build_layout(v0, big));
       }},
      {ErrorCode::stream_dtype,
       [] {
         auto cp = test::open_bytes(test::write_bytes(v0, test::gqa_config()));
         return error_of(stream_q8(*cp, cp->tensors[0], [](const Q8Chunk&) { return true; }));
       }},
      {ErrorCode::stream_group_size,
       [] {
         auto cp = test::open_bytes(test::write_bytes(ak42_v2_q8_0, test::gqa_config()));
         cp->limits.max_group_size = 16;  // below the file's 64
         return error_of(stream_q8(*cp, *cp->find("tok_embeddings.weight"), [](const Q8Chunk&) { return true; }));
       }},
      {ErrorCode::write_source,
       [c] {
         MemorySink sink;
         return error_of(write_llama2c(sink, v0, c, MemoryWeights{}));
       }},
      {ErrorCode::write_group_size,
       [c] {
         ModelConfig q = c;
         q.group_size = 48;  // divides no tensor of dim 64
         MemorySink sink;
         return error_of(write_llama2c(sink, ak42_v2_q8_0, q, test::make_weights(c)));
       }},
      {ErrorCode::write_size,
       [c] {
         ModelConfig huge = c;
         huge.vocab_size = int64_t(1) << 27;  // 2^27 rows x 64 > 2^32 elements in one array
         MemorySink sink;
         return error_of(ttml::write_llama_msgpack(sink, huge, MemoryWeights{}));
       }},
      {ErrorCode::convert_input,
       [] {
         ConvertOptions o;
         o.to = v0;
         return error_of(plan_conversion(*test::open_bytes(test::read_file(test::fixture_path("tok96.bin"))), o));
       }},
      {ErrorCode::convert_lossy,
       [] {
         ConvertOptions o;
         o.to = ak42_v1_q8_0;
         return error_of(plan_conversion(*test::open_bytes(test::write_bytes(v0, test::untied_config())), o));
       }},
      {ErrorCode::convert_unsupported,
       [] {
         ConvertOptions o;
         o.to = tokenizer;
         return error_of(plan_conversion(*test::open_bytes(test::write_bytes(v0, test::gqa_config())), o));
       }},
      {ErrorCode::convert_group_size,
       [] {
         ConvertOptions o;
         o.to = ak42_v2_q8_0;
         o.group_size = -1;
         return error_of(plan_conversion(*test::open_bytes(test::write_bytes(v0, test::gqa_config())), o));
       }},
      {ErrorCode::convert_rope_size,
       [] {
         auto b = test::write_bytes(ak42_v1_fp32, test::gqa_config());
         test::put_i32(b, header_field(ak42_v1_fp32, "seq_len")->offset, 1 << 30);
         ConvertOptions o;
         o.to = v0;
         return error_of(plan_conversion(*test::open_bytes(b), o));
       }},
      {ErrorCode::inspect_tensor,
       [] {
         InspectOptions o;
         o.tensor = "no.such.tensor";
         return error_of(build_inspect_report(*test::open_bytes(test::write_bytes(v0, test::gqa_config())), o));
       }},
      {ErrorCode::expect_syntax,
       [] {
         Expectations e;
         return error_of(parse_expectations("dim", e));
       }},
      {ErrorCode::manifest_syntax, [] { return error_of(parse_manifest("not a manifest line\n")); }},
      {ErrorCode::format_structure,
       [] {
         // A file that starts like a zip but has no end-of-central-directory record.
         MemorySource src(std::vector<uint8_t>{'P', 'K', 3, 4, 0, 0, 0, 0}, "broken.zip");
         return error_of(torch::read_zip(src));
       }},
  };
}

TEST(ErrorCodes, EveryCodeComesFromTheFailureItNames) {
  std::set<ErrorCode> seen;
  for (const auto& c : cases()) {
    const auto e = c.fail();
    ASSERT_TRUE(e) << error_code_name(c.code) << " did not fail";
    EXPECT_EQ(e->code, c.code) << error_code_name(c.code) << ": got " << e->code_name() << " (" << e->message << ")";
    EXPECT_FALSE(e->message.empty());
    seen.insert(c.code);
  }
  for (const auto& info : error_codes()) EXPECT_TRUE(seen.count(info.code)) << info.name << " has no case";
}

}  // namespace
}  // namespace ckpt
