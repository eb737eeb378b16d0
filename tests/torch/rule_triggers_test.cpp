// The smallest input that breaks exactly one catalogued rule, for the rules no other test
// fires, each next to a variant that differs only in the breaking bytes and has no
// finding at all. Every assertion names the rule id, severity, byte offset and subject.
#include <gtest/gtest.h>

#include <cstring>

#include "legacy_torch.hpp"
#include "pickle_builder.hpp"
#include "test_util.hpp"
#include "torch_checkpoint.hpp"
#include "torch_codes.hpp"
#include "zip_builder.hpp"

namespace ckpt::torch {
namespace {

std::string text_of(const test::PickleBuilder& p) { return std::string(p.b.begin(), p.b.end()); }

std::vector<Finding> joined(std::initializer_list<const std::vector<Finding>*> parts) {
  std::vector<Finding> out;
  for (const auto* p : parts) out.insert(out.end(), p->begin(), p->end());
  return out;
}

// Every finding of a pickle and its torch interpretation.
std::vector<Finding> interpret(const test::PickleBuilder& p) {
  auto src = p.source();
  auto r = unpickle(src, 0, src.size());
  EXPECT_TRUE(r.ok() && r->complete);
  if (!r.ok()) return {};
  TorchModel m = interpret_torch_pickle(*r);
  return joined({&r->findings, &m.findings});
}

std::vector<Finding> all_findings(const TorchZipCheckpoint& c) {
  auto out = joined({&c.zip.findings, &c.pickle.findings, &c.model.findings, &c.findings});
  for (const auto& mp : c.other_pickles) out.insert(out.end(), mp.pickle.findings.begin(), mp.pickle.findings.end());
  return out;
}

// Every finding but the magic number pickle's: that pickle is checked byte for byte
// (torch.not_legacy otherwise) and its one finding is the same for every legacy file.
std::vector<Finding> all_findings(const LegacyCheckpoint& c) {
  return joined(
      {&c.protocol.findings, &c.sys_info.findings, &c.main.findings, &c.keys.findings, &c.model.findings, &c.findings});
}

// The one finding of fs, which must be of rule `rule` and severity `sev` at offset `at`
// about `subject`.
void expect_only(const std::vector<Finding>& fs, const std::string& rule, Severity sev, uint64_t at,
                 const std::string& subject) {
  ASSERT_EQ(fs.size(), 1u) << test::rules_of(fs);
  EXPECT_EQ(fs[0].rule, rule);
  EXPECT_EQ(fs[0].severity, sev);
  EXPECT_EQ(fs[0].offset, at);
  EXPECT_EQ(fs[0].subject, subject);
}

// ---- torch interpretation ------------------------------------------------------------

// {'w': _rebuild_tensor_v2(storage of class torch.<cls>, 0, (4,), (1,), ...)}
test::PickleBuilder one_tensor(std::string_view cls, size_t* pid_at) {
  test::PickleBuilder p;
  p.proto(2).empty_dict().str("w").tensor_v2(cls, "0", 4, 0, {4}, {1}, pid_at).setitem().stop();
  return p;
}

TEST(RuleTriggers, UnknownStorageType) {
  size_t pid = 0;
  EXPECT_TRUE(interpret(one_tensor("FloatStorage", &pid)).empty());
  // torch.TypedStorage is a real torch class (so no security finding), but it names no
  // element type: nothing says how many bytes an element takes.
  auto fs = interpret(one_tensor("TypedStorage", &pid));
  expect_only(fs, "torch.unknown_storage_type", Severity::warning, pid, "0");
}

TEST(RuleTriggers, UnknownRebuild) {
  EXPECT_TRUE(interpret(one_tensor("FloatStorage", nullptr)).empty());
  // torch._utils._rebuild_qtensor is on the safe list (torch's own), but not interpreted.
  test::PickleBuilder p;
  p.proto(2).empty_dict().str("w").global("torch._utils", "_rebuild_qtensor").empty_tuple();
  const size_t reduce = p.at();
  p.reduce().setitem().stop();
  expect_only(interpret(p), "torch.unknown_rebuild", Severity::warning, reduce, "w");
}

// {'a': tensor on storage '0' of numel 4, 'b': tensor on storage '0' of numel `second`}
test::PickleBuilder two_tensors_one_storage(int32_t second, size_t* second_pid) {
  test::PickleBuilder p;
  p.proto(2).empty_dict().mark().str("a").tensor_v2("FloatStorage", "0", 4, 0, {4}, {1});
  p.str("b").tensor_v2("FloatStorage", "0", second, 0, {4}, {1}, second_pid);
  p.setitems().stop();
  return p;
}

TEST(RuleTriggers, StorageNumelConflict) {
  size_t pid = 0;
  EXPECT_TRUE(interpret(two_tensors_one_storage(4, &pid)).empty());  // tied weights: one storage, twice
  expect_only(interpret(two_tensors_one_storage(8, &pid)), "torch.storage_numel_conflict", Severity::error, pid, "0");
}

TEST(RuleTriggers, ZipByteorderBig) {
  test::PickleBuilder p;
  p.proto(2).empty_dict().stop();
  for (const char* order : {"little", "big"}) {
    auto built = test::build_zip({{"a/data.pkl", text_of(p)}, {"a/byteorder", order}});
    MemorySource src(built.bytes);
    auto c = read_torch_zip(src);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->byteorder, order);
    if (std::string(order) == "little")
      EXPECT_TRUE(all_findings(*c).empty()) << test::rules_of(all_findings(*c));
    else
      expect_only(all_findings(*c), "torch.big_endian", Severity::error, built.local[1], "a/byteorder");
  }
}

// ---- legacy torch.save ---------------------------------------------------------------

// The five pickles of a legacy file that saved an empty dict, no storage records.
struct LegacyParts {
  uint16_t protocol_version = 1001;
  bool little_endian = true;
  bool sys_info_dict = true;
  bool keys_strings = true;
};

struct BuiltLegacy {
  std::vector<uint8_t> bytes;
  uint64_t protocol = 0, sys_info = 0, keys = 0;  // where each pickle begins
};

BuiltLegacy legacy_file(const LegacyParts& parts) {
  test::PickleBuilder p;
  const uint8_t magic[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  p.proto(2).op(0x8a).u8(10);  // LONG1 0x1950a86a20f9469cfc6c
  for (uint8_t b : magic) p.u8(b);
  p.stop();
  BuiltLegacy out;
  out.protocol = p.at();
  p.proto(2).int2(parts.protocol_version).stop();
  out.sys_info = p.at();
  p.proto(2);
  if (parts.sys_info_dict) {
    p.empty_dict().mark().str("protocol_version").int2(1001).str("little_endian");
    parts.little_endian ? p.newtrue() : p.newfalse();
    p.str("type_sizes").empty_dict().setitems();
  } else {
    p.empty_list();
  }
  p.stop();
  p.proto(2).empty_dict().stop();  // the saved object
  out.keys = p.at();
  p.proto(2);
  if (parts.keys_strings)
    p.empty_list();
  else
    p.empty_list().int1(7).append();  // [7]
  p.stop();
  out.bytes = p.b;
  return out;
}

LegacyCheckpoint read_legacy(const BuiltLegacy& b) {
  MemorySource src(b.bytes);
  auto c = read_legacy_torch(src);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? std::move(*c) : LegacyCheckpoint{};
}

TEST(RuleTriggers, LegacyWellFormedHasNoFinding) {
  auto b = legacy_file({});
  auto c = read_legacy(b);
  EXPECT_TRUE(all_findings(c).empty()) << test::rules_of(all_findings(c));
  // The magic number 0x1950a86a20f9469cfc6c is beyond int64 by design: no pickle.big_int.
  EXPECT_TRUE(c.magic.findings.empty()) << test::rules_of(c.magic.findings);
  EXPECT_TRUE(c.little_endian);
  EXPECT_EQ(c.end_offset, b.bytes.size());
}

TEST(RuleTriggers, LegacySysInfoBigEndian) {
  auto b = legacy_file({.little_endian = false});
  auto c = read_legacy(b);
  EXPECT_FALSE(c.little_endian);
  expect_only(all_findings(c), "torch.big_endian", Severity::error, b.sys_info, "");
}

TEST(RuleTriggers, LegacyHeaderProtocolVersion) {
  auto b = legacy_file({.protocol_version = 1000});
  expect_only(all_findings(read_legacy(b)), "torch.legacy_header", Severity::error, b.protocol, "");
}

TEST(RuleTriggers, LegacyHeaderSysInfoNotADict) {
  auto b = legacy_file({.sys_info_dict = false});
  expect_only(all_findings(read_legacy(b)), "torch.legacy_header", Severity::error, b.sys_info, "");
}

TEST(RuleTriggers, LegacyKeysNotStrings) {
  auto b = legacy_file({.keys_strings = false});
  expect_only(all_findings(read_legacy(b)), "torch.legacy_keys", Severity::error, b.keys, "");
}

// ---- zip container -------------------------------------------------------------------

std::vector<Finding> zip_findings(const std::vector<uint8_t>& bytes) {
  MemorySource src(bytes);
  auto z = read_zip(src);
  EXPECT_TRUE(z.ok()) << (z.ok() ? "" : z.error().message);
  return z.ok() ? z->findings : std::vector<Finding>{};
}

TEST(RuleTriggers, ZipNameTooLong) {
  const std::string longest(4096, 'n');  // ZipLimits::max_name
  EXPECT_TRUE(zip_findings(test::build_zip({{longest, "x"}}).bytes).empty());
  const std::string name = longest + "m";
  auto built = test::build_zip({{name, "x"}});
  MemorySource src(built.bytes);
  auto z = read_zip(src);
  ASSERT_TRUE(z.ok());
  // Kept truncated: the local header's longer name is not a mismatch.
  expect_only(z->findings, "zip.name_too_long", Severity::error, built.central[0], longest);
  EXPECT_TRUE(z->entries[0].name_truncated);
  EXPECT_EQ(z->entries[0].name, longest);
}

// A ZIP64 end record and locator with an end record that is not saturated: readers that
// trust either one must find the same directory.
test::BuiltZip zip64_with_plain_eocd() {
  auto z = test::build_zip({{"a", "xyz"}}, true);
  test::put16(z.bytes, z.eocd + 8, 1);
  test::put16(z.bytes, z.eocd + 10, 1);
  test::put32(z.bytes, z.eocd + 12, uint32_t(z.cd_size));
  test::put32(z.bytes, z.eocd + 16, uint32_t(z.cd_offset));
  return z;
}

TEST(RuleTriggers, Zip64RecordContradictsEocd) {
  auto z = zip64_with_plain_eocd();
  EXPECT_TRUE(zip_findings(z.bytes).empty()) << test::rules_of(zip_findings(z.bytes));
  test::put32(z.bytes, z.eocd + 12, uint32_t(z.cd_size + 1));  // the EOCD's directory size, one more
  expect_only(zip_findings(z.bytes), "zip.zip64_mismatch", Severity::warning, *z.zip64_eocd, "");
}

TEST(RuleTriggers, Zip64LocatorPointsNowhereWhenNotNeeded) {
  auto z = zip64_with_plain_eocd();
  for (int k = 0; k < 8; ++k) z.bytes[*z.zip64_locator + 8 + k] = 0;  // the record's offset: 0, a local header
  expect_only(zip_findings(z.bytes), "zip.zip64_mismatch", Severity::warning, *z.zip64_locator, "");
}

TEST(RuleTriggers, ZipPrefixBytes) {
  auto z = test::build_zip({{"a", "xyz"}});
  EXPECT_TRUE(zip_findings(z.bytes).empty());
  // A 16-byte stub before the archive, every offset of the archive moved past it (as a
  // self-extractor's builder does).
  const uint32_t stub = 16;
  test::put32(z.bytes, z.central[0] + 42, uint32_t(z.local[0] + stub));
  test::put32(z.bytes, z.eocd + 16, uint32_t(z.cd_offset + stub));
  std::vector<uint8_t> bytes(stub, 'S');
  bytes.insert(bytes.end(), z.bytes.begin(), z.bytes.end());
  auto fs = zip_findings(bytes);
  expect_only(fs, "zip.prefix_bytes", Severity::info, 0, "");
  EXPECT_EQ(fs[0].message, "16 bytes before the first member");
}

}  // namespace
}  // namespace ckpt::torch
