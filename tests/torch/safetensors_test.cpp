// The safetensors header reader: the reference's checks one by one, each with the
// tensor's name and the absolute offset of its data.
#include <gtest/gtest.h>

#include <cstring>

#include "safetensors_header.hpp"
#include "test_util.hpp"

namespace ckpt::safetensors {
namespace {

std::vector<uint8_t> make(const std::string& header, size_t data_bytes, uint64_t declared = ~0ull) {
  std::vector<uint8_t> b;
  b.reserve(8 + header.size() + data_bytes);
  uint64_t n = declared == ~0ull ? header.size() : declared;
  for (int k = 0; k < 8; ++k) b.push_back(uint8_t(n >> (8 * k)));
  for (char c : header) b.push_back(uint8_t(c));
  b.resize(b.size() + data_bytes, 0);
  return b;
}

Result<SafetensorsHeader> read(const std::vector<uint8_t>& b, const SafetensorsLimits& lim = {}) {
  MemorySource src(b);
  return read_safetensors_header(src, lim);
}

TEST(Safetensors, GenuineFileFromTheReferenceLayout) {
  auto bytes = torch::test::load("tiny.safetensors");
  auto h = read(bytes);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_TRUE(h->findings.empty()) << torch::test::rules_of(h->findings);
  ASSERT_EQ(h->tensors.size(), 3u);
  EXPECT_EQ(h->tensors[0].name, "a");  // header order, not alphabetical by accident
  EXPECT_EQ(h->tensors[1].name, "b");
  EXPECT_EQ(h->tensors[0].dtype, "F32");
  EXPECT_EQ(h->tensors[0].shape, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(h->header_length % 8, 0u);
  EXPECT_EQ(h->tensors[1].absolute_offset, 8 + h->header_length + 24);
  EXPECT_EQ(h->tensors[2].dtype, "I64");
  ASSERT_EQ(h->metadata.size(), 1u);
  EXPECT_EQ(h->metadata[0], (std::pair<std::string, std::string>{"format", "pt"}));
  float v;
  std::memcpy(&v, bytes.data() + h->tensors[0].absolute_offset + 4, 4);
  EXPECT_EQ(v, 1.0f);
}

TEST(Safetensors, FatalHeaderErrors) {
  struct Case {
    std::vector<uint8_t> bytes;
    const char* code;
  };
  std::vector<Case> cases = {
      {{1, 2, 3}, "safetensors.too_small"},
      {make("{}", 0, 1ull << 63), "safetensors.header_too_large"},
      {make("{}", 0, 100'000'001), "safetensors.header_too_large"},
      {make("{}", 0, 3), "safetensors.header_length"},
      {make("{\"a\xff\":1}", 0), "safetensors.header_utf8"},
      {make("{\"\xed\xa0\x80\":1}", 0), "safetensors.header_utf8"},  // an encoded surrogate
      {make("{\"a\": ", 0), "safetensors.header_json"},
      {make("[1, 2]", 0), "safetensors.header_json"},
      {make(std::string(20, '[') + std::string(20, ']'), 0), "safetensors.header_json"},
  };
  for (const auto& c : cases) {
    auto h = read(c.bytes);
    ASSERT_FALSE(h.ok()) << c.code;
    EXPECT_EQ(h.error().cause, c.code);
  }
}

struct Case {
  const char* name;
  std::string header;
  size_t data;
  const char* rule;
  const char* subject;
  // Expected finding offset relative to the data region; -1: the header start (8); -2:
  // where the subject's name is written in the header; -3: saturated (past 2^64).
  int64_t data_offset;
};

class SafetensorsFindings : public ::testing::TestWithParam<Case> {};

TEST_P(SafetensorsFindings, RuleSubjectOffset) {
  const Case& c = GetParam();
  auto h = read(make(c.header, c.data));
  ASSERT_TRUE(h.ok()) << h.error().message;
  const Finding* f = torch::test::find_rule(h->findings, c.rule);
  ASSERT_NE(f, nullptr) << torch::test::rules_of(h->findings);
  EXPECT_EQ(f->subject, c.subject);
  uint64_t expect = c.data_offset < 0 ? 8 : 8 + c.header.size() + uint64_t(c.data_offset);
  if (c.data_offset == -2) expect = 8 + c.header.find(std::string("\"") + c.subject + "\"");
  if (c.data_offset == -3) expect = UINT64_MAX;  // 8 + header + begin saturates
  EXPECT_EQ(f->offset, expect) << f->message;
}

const Case kCases[] = {
    {"Gap",
     R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}})",
     16, "safetensors.invalid_offset", "b", 12},
    {"Overlap",
     R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
     12, "safetensors.invalid_offset", "b", 4},
    {"NotFromZero", R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})", 4, "safetensors.invalid_offset", "a",
     2},
    {"EndBeforeBegin",
     R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"c":{"dtype":"U8","shape":[2],"data_offsets":[4,2]}})",
     4, "safetensors.invalid_offset", "c", 4},
    {"SizeMismatch", R"({"a":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}})", 8, "safetensors.size_mismatch", "a",
     0},
    {"Overflow", R"({"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8,
     "safetensors.size_overflow", "a", 0},
    {"Misaligned", R"({"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}})", 2, "safetensors.misaligned", "a", 0},
    {"PastEof", R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8, "safetensors.data_past_eof", "a", 0},
    {"PastEofHugeOffsets",
     R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551614,18446744073709551615]}})", 0,
     "safetensors.data_past_eof", "a", -3},
    {"Trailing", R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 9, "safetensors.trailing_bytes", "", 4},
    {"UnknownDtype", R"({"a":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}})", 4, "safetensors.unknown_dtype", "a",
     -2},
    {"MissingDtype", R"({"a":{"shape":[1],"data_offsets":[0,4]}})", 4, "safetensors.bad_entry", "a", -2},
    {"NegativeShape", R"({"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,4]}})", 4, "safetensors.bad_entry", "a", -2},
    {"ThreeOffsets", R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}})", 1, "safetensors.bad_entry", "a", -2},
    {"EntryNotObject", R"({"a":[1]})", 0, "safetensors.bad_entry", "a", -2},
    {"MetadataNotStrings", R"({"__metadata__":{"n":1}})", 0, "safetensors.metadata_not_strings", "__metadata__", -2},
    {"Duplicate",
     R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})", 2,
     "safetensors.duplicate_name", "a", -1},
    {"LeadingSpace", R"( {})", 0, "safetensors.header_start", "", -1},
};

INSTANTIATE_TEST_SUITE_P(Table, SafetensorsFindings, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Safetensors, Limits) {
  auto h = read(
      make(
          R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
          2),
      SafetensorsLimits{100'000'000, 1, 64});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->tensors.size(), 1u);
  EXPECT_NE(torch::test::find_rule(h->findings, "safetensors.limit_tensors"), nullptr);
  std::string shape = "[";
  for (int k = 0; k < 65; ++k) shape += k ? ",1" : "1";
  auto r = read(make(R"({"a":{"dtype":"U8","shape":)" + shape + R"(],"data_offsets":[0,1]}})", 1));
  ASSERT_TRUE(r.ok());
  EXPECT_NE(torch::test::find_rule(r->findings, "safetensors.limit_rank"), nullptr);
}

TEST(Safetensors, EmptyHeaderAndZeroSizedTensors) {
  auto h = read(make("{}", 0));
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->findings.empty());
  auto z = read(make(R"({"a":{"dtype":"F32","shape":[0,5],"data_offsets":[0,0]}})", 0));
  ASSERT_TRUE(z.ok());
  EXPECT_TRUE(z->findings.empty()) << torch::test::rules_of(z->findings);
}

}  // namespace
}  // namespace ckpt::safetensors
