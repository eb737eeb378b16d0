// Invariants of the table-driven header: every finding about a header field carries the
// field's offset from the table, no rule reports the same subject twice, and every
// command reads a damaged file as the same format (detection lives in the family).
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "ckpt/validate.hpp"
#include "llama2c/formats.hpp"
#include "llama2c/layout.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

using namespace llama2c;

// The file of format f with one header field overwritten.
std::vector<uint8_t> with_field(Format f, const HeaderFieldSpec& field, int64_t value) {
  auto b = test::write_bytes(f, test::gqa_config());
  if (field.size == 1)
    b[field.offset] = uint8_t(value);
  else
    test::put_i32(b, field.offset, int32_t(value));
  return b;
}

constexpr int64_t kBadValues[] = {0, -7, 2, 1 << 30};

TEST(HeaderTable, FieldFindingsCarryTheTableOffset) {
  for (Format f : kCheckpointFormats) {
    for (const auto& field : header_fields(f)) {
      for (int64_t bad : kBadValues) {
        const auto bytes = with_field(f, field, bad);
        const std::string what = std::string(f.name()) + " " + std::string(field.name) + "=" + std::to_string(bad);
        // inspect's view: the parse findings.
        if (auto cp = test::open_bytes(bytes)) {
          for (const auto& x : cp->findings)
            if (x.subject == field.name) {
              EXPECT_EQ(x.offset, std::optional<uint64_t>(field.offset)) << what << " " << x.rule;
            }
        }
        // validate's view: every rule.
        MemorySource src(bytes);
        ValidateOptions opt;
        opt.scan = false;
        for (const auto& x : validate_source(src, opt).findings)
          if (x.field == field.name) {
            EXPECT_EQ(x.offset, std::optional<uint64_t>(field.offset)) << what << " " << x.rule;
          }
      }
    }
  }
}

TEST(HeaderTable, NoRuleReportsTheSameSubjectTwice) {
  for (Format f : kCheckpointFormats) {
    for (const auto& field : header_fields(f)) {
      for (int64_t bad : kBadValues) {
        MemorySource src(with_field(f, field, bad));
        std::set<std::tuple<std::string, std::string, std::string>> seen;
        for (const auto& x : validate_source(src, {}).findings)
          EXPECT_TRUE(seen.insert({x.rule, x.tensor, x.field}).second)
              << f.name() << " " << field.name << "=" << bad << ": " << x.rule << " twice for " << x.tensor << x.field;
      }
    }
  }
}

TEST(HeaderTable, NegativeAk42VocabIsReportedOnceAtItsField) {
  const HeaderFieldSpec* vocab = header_field(ak42_v1_fp32, "vocab_size");
  ASSERT_EQ(vocab->offset, 28u);
  MemorySource src(with_field(ak42_v1_fp32, *vocab, -96));
  size_t n = 0;
  for (const auto& x : validate_source(src, {}).findings)
    if (x.rule == "header.value" && x.field == "vocab_size") {
      ++n;
      EXPECT_EQ(x.offset, std::optional<uint64_t>(28));
    }
  EXPECT_EQ(n, 1u);
}

TEST(HeaderTable, WriterAndReaderUseTheSameCodecs) {
  // Every field written from a config reads back into the same config.
  for (Format f : kCheckpointFormats) {
    for (ModelConfig c : {test::gqa_config(), test::untied_config()}) {
      if (is_q8(f)) c.group_size = 16;
      if (f == ak42_v1_q8_0) c.shared_classifier = true;  // the draft layout stores none
      auto cp = test::open_bytes(test::write_bytes(f, c));
      ASSERT_TRUE(cp);
      ASSERT_TRUE(cp->config);
      EXPECT_EQ(*cp->config, c) << f.name();
    }
  }
}

TEST(Detection, EveryCommandReadsADamagedMagicAlike) {
  // Byte 0 of an ak42 file changed: inspect (open_checkpoint) and validate agree on the
  // layout the rest of the header and the size fit, and both say the magic is damaged.
  for (Format f : {ak42_v1_fp32, ak42_v1_q8_0, ak42_v2_q8_0}) {
    auto bytes = test::write_bytes(f, test::gqa_config());
    bytes[0] ^= 0x5a;
    auto cp = test::open_bytes(bytes);
    ASSERT_TRUE(cp);
    EXPECT_EQ(cp->format, f);
    EXPECT_TRUE(std::any_of(cp->findings.begin(), cp->findings.end(),
                            [](const Finding& x) { return x.rule == "header.magic" && x.offset == 0u; }));
    MemorySource src(bytes);
    const FileReport r = validate_source(src, {});
    EXPECT_EQ(r.format, f);
    EXPECT_EQ(r.detection, cp->detection);
  }
}

}  // namespace
}  // namespace ckpt
