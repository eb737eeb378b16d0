// The zip reader on genuine archives and on every kind of lie a directory can tell.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "test_util.hpp"
#include "zip_builder.hpp"
#include "zip_member.hpp"
#include "zip_reader.hpp"

namespace ckpt::torch {
namespace {

using test::build_zip;
using test::put16;
using test::put32;
using test::ZipSpec;

ZipArchive read_ok(const std::vector<uint8_t>& bytes) {
  MemorySource src(bytes);
  auto z = read_zip(src);
  EXPECT_TRUE(z.ok()) << (z.ok() ? "" : z.error().cause + " " + z.error().message);
  return z.ok() ? std::move(*z) : ZipArchive{};
}

std::string member_text(const ByteSource& parent, const ZipEntry& e) {
  auto m = open_member(parent, e);
  EXPECT_TRUE(m.ok());
  std::string s(size_t((*m)->size()), '\0');
  EXPECT_TRUE((*m)->read(0, s.data(), s.size()));
  return s;
}

TEST(Zip, TorchArchiveAlignsDataAndHasDescriptors) {
  auto bytes = test::load("tiny_state_dict.pt");
  MemorySource src(bytes);
  auto z = read_zip(src);
  ASSERT_TRUE(z.ok());
  EXPECT_TRUE(z->findings.empty()) << test::rules_of(z->findings);
  ASSERT_EQ(z->entries.size(), 6u);
  for (const auto& e : z->entries) {
    EXPECT_TRUE(e.local_ok && e.data_in_file) << e.name;
    EXPECT_EQ(e.data_offset % 64, 0u) << e.name;  // torch pads with the 'FB' extra field
    EXPECT_GT(e.alignment_padding, 0u) << e.name;
    EXPECT_TRUE(e.data_descriptor()) << e.name;
    EXPECT_TRUE(verify_member(src, e).empty()) << e.name;
  }
  EXPECT_EQ(member_text(src, *z->find("tiny_state_dict/version")), "3\n");
}

TEST(Zip, StoredAndDeflatedMembersReadTheSame) {
  std::string text;
  for (int k = 0; k < 5000; ++k) text += "line " + std::to_string(k) + "\n";
  auto built = build_zip({{"a", text, false}, {"b", text, true}});
  MemorySource src(built.bytes);
  auto z = read_zip(src);
  ASSERT_TRUE(z.ok());
  EXPECT_TRUE(z->findings.empty()) << test::rules_of(z->findings);
  EXPECT_EQ(member_text(src, z->entries[0]), text);
  EXPECT_EQ(member_text(src, z->entries[1]), text);
  EXPECT_TRUE(verify_member(src, z->entries[1]).empty());
  // Random access into the deflated member: forward, then behind (restarts).
  auto m = open_member(src, z->entries[1]);
  ASSERT_TRUE(m.ok());
  char buf[16];
  ASSERT_TRUE((*m)->read(20000, buf, 16));
  EXPECT_EQ(std::string(buf, 16), text.substr(20000, 16));
  ASSERT_TRUE((*m)->read(100, buf, 16));
  EXPECT_EQ(std::string(buf, 16), text.substr(100, 16));
  EXPECT_FALSE((*m)->read(text.size() - 4, buf, 16));  // past the end
}

TEST(Zip, PythonDeflatedTorchArchiveVerifies) {
  auto bytes = test::load("tiny_state_dict_deflated.pt");
  MemorySource src(bytes);
  auto z = read_zip(src);
  ASSERT_TRUE(z.ok());
  EXPECT_TRUE(z->findings.empty()) << test::rules_of(z->findings);
  for (const auto& e : z->entries) {
    EXPECT_EQ(e.method, 8) << e.name;
    EXPECT_TRUE(verify_member(src, e).empty()) << e.name;
  }
}

TEST(Zip, Zip64LocalExtraFromPython) {
  auto bytes = test::load("zip64_member.zip");
  MemorySource src(bytes);
  auto z = read_zip(src);
  ASSERT_TRUE(z.ok());
  EXPECT_TRUE(z->findings.empty()) << test::rules_of(z->findings);
  ASSERT_EQ(z->entries.size(), 1u);
  EXPECT_EQ(z->entries[0].uncompressed_size, 16u);
  std::string expect;
  for (int k = 0; k < 16; ++k) expect.push_back(char(k));
  EXPECT_EQ(member_text(src, z->entries[0]), expect);
}

TEST(Zip, Zip64EndRecordsAndCentralExtras) {
  auto built = build_zip(
      {{"archive/data.pkl", "abc", false, false, true}, {"archive/data/0", "0123", false, false, true}}, true);
  MemorySource src(built.bytes);
  auto z = read_zip(src);
  ASSERT_TRUE(z.ok()) << z.error().message;
  EXPECT_TRUE(z->findings.empty()) << test::rules_of(z->findings);
  EXPECT_EQ(z->zip64_eocd_offset, built.zip64_eocd);
  EXPECT_EQ(z->zip64_locator_offset, built.zip64_locator);
  ASSERT_EQ(z->entries.size(), 2u);
  EXPECT_TRUE(z->entries[1].zip64);
  EXPECT_EQ(z->entries[1].local_header_offset, built.local[1]);
  EXPECT_EQ(z->entries[1].data_offset, built.data[1]);
  EXPECT_EQ(member_text(src, z->entries[1]), "0123");
}

TEST(Zip, Zip64LocatorPointingNowhereIsAnError) {
  auto built = build_zip({{"a", "x"}}, true);
  put32(built.bytes, *built.zip64_locator + 8, 3);  // ZIP64 record offset -> garbage
  MemorySource src(built.bytes);
  auto z = read_zip(src);
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.error().cause, "zip.zip64");
  EXPECT_EQ(z.error().offset, built.zip64_locator);
}

TEST(Zip, Errors) {
  {
    std::vector<uint8_t> junk(1000, 'x');
    MemorySource src(junk);
    auto z = read_zip(src);
    ASSERT_FALSE(z.ok());
    EXPECT_EQ(z.error().cause, "zip.no_eocd");
  }
  {
    auto built = build_zip({{"a", "x"}});
    put32(built.bytes, built.eocd + 16, 1u << 30);  // directory offset past the end
    MemorySource src(built.bytes);
    auto z = read_zip(src);
    ASSERT_FALSE(z.ok());
    EXPECT_EQ(z.error().cause, "zip.cd_out_of_bounds");
    EXPECT_EQ(z.error().offset, built.eocd);
  }
  {
    auto built = build_zip({{"a", "x"}});
    put16(built.bytes, built.eocd + 8, 9);
    put16(built.bytes, built.eocd + 10, 9);
    MemorySource src(built.bytes);
    ZipLimits lim;
    lim.max_entries = 8;
    auto z = read_zip(src, lim);
    ASSERT_FALSE(z.ok());
    EXPECT_EQ(z.error().cause, "zip.too_many_entries");
  }
}

struct Corruption {
  const char* name;
  std::function<uint64_t(test::BuiltZip&)> corrupt;  // returns the offset the finding must carry
  const char* rule;
};

class ZipCorruptions : public ::testing::TestWithParam<Corruption> {};

TEST_P(ZipCorruptions, RuleAndOffset) {
  auto built = build_zip({{"archive/data.pkl", "pickle bytes"}, {"archive/data/0", std::string(64, 'w')}});
  uint64_t expect = GetParam().corrupt(built);
  MemorySource src(built.bytes);
  auto z = read_zip(src);
  ASSERT_TRUE(z.ok()) << z.error().code;
  const Finding* f = test::find_rule(z->findings, GetParam().rule);
  ASSERT_NE(f, nullptr) << test::rules_of(z->findings);
  EXPECT_EQ(f->offset, expect) << f->message;
}

const Corruption kCorruptions[] = {
    {"CountTooHigh",
     [](test::BuiltZip& z) {
       put16(z.bytes, z.eocd + 8, 3);
       put16(z.bytes, z.eocd + 10, 3);
       return z.eocd;
     },
     "zip.entry_count"},
    {"DiskCountsDiffer",
     [](test::BuiltZip& z) {
       put16(z.bytes, z.eocd + 8, 1);
       return z.eocd;
     },
     "zip.entry_count"},
    {"CountTooLow",
     [](test::BuiltZip& z) {
       put16(z.bytes, z.eocd + 8, 1);
       put16(z.bytes, z.eocd + 10, 1);
       return z.central[1];
     },
     "zip.cd_size"},
    {"SecondRecordSignature",
     [](test::BuiltZip& z) {
       put32(z.bytes, z.central[1], 0x12345678);
       return z.central[1];
     },
     "zip.cd_signature"},
    {"MultiDisk",
     [](test::BuiltZip& z) {
       put16(z.bytes, z.eocd + 4, 1);
       return z.eocd;
     },
     "zip.multi_disk"},
    {"LocalSignature",
     [](test::BuiltZip& z) {
       put32(z.bytes, z.local[1], 0);
       return z.local[1];
     },
     "zip.local_signature"},
    {"LocalNameDiffers",
     [](test::BuiltZip& z) {
       z.bytes[z.local[1] + 30] = 'X';
       return z.local[1];
     },
     "zip.local_mismatch"},
    {"LocalCrcDiffers",
     [](test::BuiltZip& z) {
       put32(z.bytes, z.local[1] + 14, 1);
       return z.local[1];
     },
     "zip.local_mismatch"},
    {"LocalMethodDiffers",
     [](test::BuiltZip& z) {
       put16(z.bytes, z.local[1] + 8, 8);
       return z.local[1];
     },
     "zip.local_mismatch"},
    {"CentralSizeLiesPastEof",
     [](test::BuiltZip& z) {
       put32(z.bytes, z.central[1] + 20, 1u << 30);
       put32(z.bytes, z.central[1] + 24, 1u << 30);
       return z.data[1];
     },
     "zip.member_past_eof"},
    {"LocalHeaderPastEof",
     [](test::BuiltZip& z) {
       put32(z.bytes, z.central[1] + 42, 1u << 30);
       return uint64_t(1) << 30;
     },
     "zip.member_past_eof"},
    {"MemberRunsIntoDirectory",
     [](test::BuiltZip& z) {
       uint32_t n = uint32_t(z.cd_offset - z.data[1] + 10);
       put32(z.bytes, z.central[1] + 20, n);
       put32(z.bytes, z.central[1] + 24, n);
       return z.data[1];
     },
     "zip.member_overlaps_cd"},
    {"TwoRecordsOneLocalHeader",
     [](test::BuiltZip& z) {
       put32(z.bytes, z.central[1] + 42, uint32_t(z.local[0]));
       return z.local[0];
     },
     "zip.members_overlap"},
    {"StoredSizesDiffer",
     [](test::BuiltZip& z) {
       put32(z.bytes, z.central[1] + 24, 65);
       return z.central[1];
     },
     "zip.stored_size"},
    {"Encrypted",
     [](test::BuiltZip& z) {
       put16(z.bytes, z.central[1] + 8, 1);
       return z.central[1];
     },
     "zip.encrypted"},
    {"Method12",
     [](test::BuiltZip& z) {
       put16(z.bytes, z.central[1] + 10, 12);
       return z.central[1];
     },
     "zip.unsupported_method"},
    {"CentralNameDiffersFromLocal",
     [](test::BuiltZip& z) {
       z.bytes[z.central[1] + 46 + 8] = 'p';
       return z.local[1];
     },
     "zip.local_mismatch"},
    {"ExtraRunsPastBlock",
     [](test::BuiltZip& z) {
       // Give the record a 4-byte extra that claims 100 bytes, taken from the name's room.
       put16(z.bytes, z.central[1] + 28, 10);
       put16(z.bytes, z.central[1] + 30, 4);
       put16(z.bytes, z.central[1] + 46 + 10, 0x0001);
       put16(z.bytes, z.central[1] + 46 + 12, 100);
       return z.central[1];
     },
     "zip.extra_malformed"},
    {"SaturatedSizeWithoutZip64Extra",
     [](test::BuiltZip& z) {
       put32(z.bytes, z.central[1] + 20, 0xFFFFFFFF);
       return z.central[1];
     },
     "zip.zip64_extra_missing"},
    {"CommentRunsPastEnd",
     [](test::BuiltZip& z) {
       put16(z.bytes, z.eocd + 20, 5);
       return z.eocd;
     },
     "zip.eocd_comment"},
    {"BytesAppended",
     [](test::BuiltZip& z) {
       z.bytes.push_back(0);
       return z.eocd;
     },
     "zip.eocd_comment"},
};

INSTANTIATE_TEST_SUITE_P(Table, ZipCorruptions, ::testing::ValuesIn(kCorruptions),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Zip, DuplicateNames) {
  auto built = build_zip({{"x/a", "1"}, {"x/a", "2"}});
  auto z = read_ok(built.bytes);
  const Finding* f = test::find_rule(z.findings, "zip.duplicate_name");
  ASSERT_NE(f, nullptr) << test::rules_of(z.findings);
  EXPECT_EQ(f->offset, built.central[1]);
}

TEST(Zip, DataDescriptorMismatch) {
  auto built = build_zip({{"a", "hello", false, true}});
  auto ok = read_ok(built.bytes);
  EXPECT_TRUE(ok.findings.empty()) << test::rules_of(ok.findings);
  put32(built.bytes, built.data[0] + 5 + 4, 0xdeadbeef);  // descriptor CRC
  auto z = read_ok(built.bytes);
  const Finding* f = test::find_rule(z.findings, "zip.data_descriptor_mismatch");
  ASSERT_NE(f, nullptr) << test::rules_of(z.findings);
  EXPECT_EQ(f->offset, built.data[0] + 5);
}

TEST(Zip, CrcMismatchSizeMismatchAndCorruptStream) {
  std::string text(3000, 'a');
  for (size_t k = 0; k < text.size(); k += 7) text[k] = char('a' + k % 26);
  {
    auto built = build_zip({{"s", text}, {"d", text, true}});
    built.bytes[built.data[0] + 100] ^= 1;  // a stored byte flips
    MemorySource src(built.bytes);
    auto z = read_zip(src);
    auto f = verify_member(src, z->entries[0]);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].rule, "zip.crc_mismatch");
    EXPECT_EQ(f[0].offset, built.data[0]);
  }
  {
    auto built = build_zip({{"d", text, true}});
    put32(built.bytes, built.central[0] + 24, 2999);  // uncompressed size one short
    MemorySource src(built.bytes);
    auto z = read_zip(src);
    auto f = verify_member(src, z->entries[0]);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].rule, "zip.size_mismatch");
    EXPECT_NE(f[0].message.find("more than 3000"), std::string::npos) << f[0].message;
  }
  {
    auto built = build_zip({{"d", text, true}});
    for (uint64_t k = built.data[0] + 2; k < built.data[0] + 12; ++k) built.bytes[k] = 0xff;
    MemorySource src(built.bytes);
    auto z = read_zip(src);
    auto f = verify_member(src, z->entries[0]);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].rule, "zip.inflate_error");
    auto m = open_member(src, z->entries[0]);
    ASSERT_TRUE(m.ok());
    std::string out(3000, '\0');
    EXPECT_FALSE((*m)->read(0, out.data(), out.size()));
  }
}

TEST(Zip, MembersOutsideTheFileCannotBeOpened) {
  auto built = build_zip({{"a", "hello"}});
  put32(built.bytes, built.central[0] + 20, 1u << 30);
  put32(built.bytes, built.central[0] + 24, 1u << 30);
  MemorySource src(built.bytes);
  auto z = read_zip(src);
  auto m = open_member(src, z->entries[0]);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().cause, "zip.member_range");
}

// A multi-GB archive as a sparse file: 5 GiB stored member first, then a small one, a
// ZIP64 directory. Header-only reading touches the end records, the directory and the
// local headers: a few KB, not gigabytes.
TEST(Zip, HeaderOnlyReadOfASparseMultiGigabyteArchive) {
  char path[] = "/tmp/ckpt_sparse_zipXXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const uint64_t big = 5ull << 30;
  auto layout = test::write_sparse_zip(fd, {{"big/data/0", "", big}, {"big/v", "abc"}});
  close(fd);
  ASSERT_GT(layout.size, big);
  auto file = FileSource::open(path);
  std::remove(path);  // the open descriptor keeps it readable
  ASSERT_TRUE(file.ok());
  auto z = read_zip(**file);
  ASSERT_TRUE(z.ok()) << z.error().message;
  EXPECT_TRUE(z->findings.empty()) << test::rules_of(z->findings);
  ASSERT_EQ(z->entries.size(), 2u);
  EXPECT_EQ(z->entries[0].uncompressed_size, big);
  EXPECT_EQ(z->entries[0].data_offset, layout.data[0]);
  EXPECT_EQ(z->entries[1].local_header_offset, layout.local[1]);
  EXPECT_TRUE(z->entries[1].zip64);
  EXPECT_EQ(member_text(**file, z->entries[1]), "abc");
  // The 65557-byte EOCD search window dominates; nothing of the 5 GiB is read.
  EXPECT_LT((*file)->bytes_read(), 70u * 1024) << (*file)->bytes_read();
  RecordProperty("sparse_header_bytes_read", std::to_string((*file)->bytes_read()));
}

}  // namespace
}  // namespace ckpt::torch
