// Every fuzzer finding, replayed through the target that found it. Inputs live in
// tests/regressions/, named TARGET-KIND-what.bin; the first byte of a forced_formats
// input selects the forced format, as in fuzz/fuzz_forced_formats.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "ckpt/checkpoint.hpp"
#include "ckpt/stats.hpp"
#include "llama2c/formats.hpp"
#include "test_support.hpp"

namespace ckpt {

static std::vector<uint8_t> regression(const std::string& name) {
  return test::read_file(std::string(CKPT_SOURCE_DIR) + "/tests/regressions/" + name);
}

// The fuzz targets that force a format pick it with the input's first byte modulo the
// number of formats. These inputs were found when there were 7 (llama2.c's six and
// ttml-msgpack, still the first 7 since families only append): replay them as found.
static Format format_when_found(uint8_t selector) {
  constexpr size_t kFormatsWhenFound = 7;
  return all_formats()[selector % kFormatsWhenFound];
}

namespace {

// Found by fuzz_forced_formats: ak42-v1-q8_0 forced on bytes whose header says
// 4610 tensors with groups of 61936 values. Each absent tensor allocated a buffer for
// one group before finding nothing to read: 285 MB of churn and a 10 s timeout under ASan.
TEST(Regression, AbsentQ8TensorsAllocateNothing) {
  const auto data = regression("forced_formats-timeout-q8-huge-group.bin");
  ASSERT_EQ(data.size(), 637u);
  OpenOptions opt;
  opt.forced_format = format_when_found(data[0]);
  ASSERT_EQ(opt.forced_format, llama2c::ak42_v1_q8_0);
  MemorySource src(std::vector<uint8_t>(data.begin() + 1, data.end()));
  auto cp = open_checkpoint(src, opt);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->tensors.size(), 4610u);
  EXPECT_EQ(cp->config->group_size, 61936);
  const auto start = std::chrono::steady_clock::now();
  for (const auto& t : cp->tensors) {
    auto s = tensor_stats(*cp, t);
    ASSERT_TRUE(s);
    // The file is 636 bytes: no Q8_0 group of 61936 values can be complete in it.
    if (t.spec.dtype == DType::q8_0) {
      EXPECT_EQ(s->count, 0u) << t.spec.name;
    }
  }
  // Generous even under sanitizers; the bug took over 10 s.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

// Timeouts found by the fuzzers: hostile n_layers made tensor tables of tens of
// thousands of entries for files of a few hundred bytes (25355 for a 63-byte file),
// which took seconds under ASan. n_layers is now capped at 1024; every such input must
// go through open + inspect --stats quickly.
TEST(Regression, HugeTensorTablesFromTinyFilesAreBounded) {
  for (const std::string name :
       {"open_checkpoint-timeout-v0-huge-table.bin", "open_checkpoint-timeout-v2-huge-table.bin",
        "convert-timeout-v2-25355-tensors.bin", "forced_formats-timeout-v1-huge-table.bin"}) {
    auto data = regression(name);
    OpenOptions opt;
    if (name.rfind("forced_formats", 0) == 0) {
      opt.forced_format = format_when_found(data[0]);
      data.erase(data.begin());
    }
    MemorySource src(data, name);
    const auto start = std::chrono::steady_clock::now();
    auto cp = open_checkpoint(src, opt);
    if (!cp) continue;
    EXPECT_LE(cp->tensors.size(), 9u * 1024 + 5) << name;
    for (const auto& t : cp->tensors) (void)tensor_stats(*cp, t);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0) << name;
  }
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

// Found by fuzz_validate once the fuzz build checked libstdc++ assertions: tokenizer
// forced on 5 bytes whose max_token_length (3423026) is beyond the sanity limit, so the
// scored walk never ran, and choosing between the walks dereferenced the empty optional.
// Under ASan alone this was silent; the sanitizer build now checks the assertions too.
TEST(Regression, ForcedTokenizerWithoutScoredWalkReportsThePlainWalk) {
  auto data = regression("validate-ub-tokenizer-no-scored-walk.bin");
  ASSERT_EQ(data.size(), 6u);
  OpenOptions opt;
  opt.forced_format = format_when_found(uint8_t(data[0] >> 4));
  ASSERT_EQ(opt.forced_format, llama2c::tokenizer);
  data.erase(data.begin());
  MemorySource src(data, "<regression>");
  auto cp = open_checkpoint(src, opt);
  ASSERT_TRUE(cp);
  ASSERT_TRUE(cp->tokenizer);
  EXPECT_FALSE(cp->tokenizer->has_scores);
  EXPECT_EQ(cp->tokenizer->n_tokens, 0u);
  EXPECT_EQ(cp->tokenizer->first_bad_offset, std::optional<uint64_t>(0));
  const auto entry = std::find_if(cp->findings.begin(), cp->findings.end(),
                                  [](const Finding& f) { return f.rule == "tokenizer.entry"; });
  ASSERT_NE(entry, cp->findings.end());
  EXPECT_EQ(entry->offset, std::optional<uint64_t>(0));
  EXPECT_NE(entry->message.find("token length 3423026 out of range"), std::string::npos) << entry->message;
}

}  // namespace
}  // namespace ckpt
