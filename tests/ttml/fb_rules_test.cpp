// Every rule of the tt-train flatbuffer checkpoints (flatbuffer.*, tensorbin.*, ttckpt.*,
// tar.*) with a passing file and a breaking one, asserting the rule id and the exact
// offset. Offsets are computed here with FbNav, apart from the reader's own walk.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "ckpt/rule_catalogue.hpp"
#include "ckpt/validate.hpp"
#include "fb_test_util.hpp"
#include "ttml/fb_build.hpp"
#include "ttml/fb_model.hpp"
#include "ttml/ttml.hpp"
#include "validate/validate_support.hpp"

namespace ckpt {
namespace {

namespace fb = test::fb;
namespace fs = std::filesystem;
using test::dump;
using test::find_rule_in;
using test::validate_bytes;

// Rules a case below breaks and passes (for reading; the list at the end is the check).
std::set<std::string>& broken() {
  static std::set<std::string> s;
  return s;
}
std::set<std::string>& passed() {
  static std::set<std::string> s;
  return s;
}

const ValidationFinding* expect_finding(const FileReport& r, const std::string& rule, std::optional<uint64_t> offset,
                                        const std::string& tensor = "") {
  const ValidationFinding* f = find_rule_in(r, rule);
  EXPECT_TRUE(f) << rule << " not reported:\n" << dump(r);
  if (!f) return nullptr;
  EXPECT_EQ(f->offset, offset) << rule << ": " << f->message;
  if (!tensor.empty()) EXPECT_EQ(f->tensor, tensor) << rule;
  broken().insert(rule);
  return f;
}

void expect_clean(const FileReport& r, std::initializer_list<std::string> rules) {
  for (const auto& rule : rules) {
    EXPECT_FALSE(find_rule_in(r, rule)) << rule << " reported on a good file:\n" << dump(r);
    passed().insert(rule);
  }
}

const Finding* finding_of(const Checkpoint& cp, const std::string& rule) {
  for (const auto& f : cp.findings)
    if (f.rule == rule) return &f;
  return nullptr;
}

std::vector<uint8_t> tensorbin_fixture(const std::string& name) {
  return test::read_file(fb::fixture("fb/tensorbin/" + name));
}

// A [1, 1, rows, cols] bfloat16 .tensorbin of the values 0, 1, 2, ...
std::vector<uint8_t> bf16_tensorbin(uint32_t rows, uint32_t cols, bool tile,
                                    std::vector<ttml::TensorbinShardSpec> shards = {},
                                    std::function<void(ttml::TensorbinSpec&)> edit = {}) {
  std::vector<float> v(size_t(rows) * cols);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i % 251);
  std::vector<uint8_t> data;
  if (tile) {
    data = fb::tilize_bf16(v, rows, cols);
  } else {
    for (float x : v) {
      const uint16_t h = ttml::to_bf16_bits(x);
      data.push_back(uint8_t(h)), data.push_back(uint8_t(h >> 8));
    }
  }
  ttml::TensorbinSpec spec;
  spec.shape = {1, 1, rows, cols};
  spec.tile = tile;
  spec.shards = shards.empty() ? std::vector<ttml::TensorbinShardSpec>{{{0, 0}, 0, data.size()}} : shards;
  if (edit) edit(spec);
  return ttml::build_tensorbin(spec, data);
}

// ---- flatbuffer.verify -------------------------------------------------------------------

TEST(FbRules, MetadataThatFailsTheVerifierIsLocated) {
  const auto good = test::read_file(fb::fixture("fb/tiny_llama/metadata.flatbuffer"));
  ValidateOptions opt;
  opt.forced_format = ttml::ttml_flatbuffer;
  expect_clean(validate_bytes(good, opt), {"flatbuffer.verify"});
  // The pairs vector claims 2^28 elements: its length field is the culprit.
  auto bad = good;
  fb::FbNav nav{good};
  const uint64_t pairs = nav.target(nav.root(), 0);
  fb::put_u32(bad, pairs, 1u << 28);
  auto r = validate_bytes(bad, opt);
  const auto* f = expect_finding(r, "flatbuffer.verify", pairs);
  ASSERT_TRUE(f);
  EXPECT_NE(f->message.find("TTMLData.pairs"), std::string::npos) << f->message;
  // The root offset points past the end: byte 0.
  auto root = good;
  fb::put_u32(root, 0, uint32_t(good.size() + 64));
  expect_finding(validate_bytes(root, opt), "flatbuffer.verify", 0);
  // A key string without its terminator: at the byte that should be 0.
  auto key = good;
  const uint64_t k = nav.target(nav.element(pairs, 0), 0);
  key[k + 4 + nav.u32(k)] = 'x';
  expect_finding(validate_bytes(key, opt), "flatbuffer.verify", k + 4 + nav.u32(k));
}

TEST(FbRules, TensorbinHeaderThatFailsTheVerifierIsLocatedInTheFile) {
  auto good = tensorbin_fixture("bfloat16_tile_20x48.tensorbin");
  expect_clean(validate_bytes(good),
               {"flatbuffer.verify", "tensorbin.header", "tensorbin.spec", "tensorbin.shards", "tensorbin.data_length",
                "tensorbin.truncated", "tensorbin.tile_padding", "tensorbin.bfp_exponent"});
  // The shards vector of the root table points outside the header: blamed at its slot.
  fb::FbNav nav{good, 8};
  const uint64_t slot = nav.slot(nav.root(), 2);
  auto bad = good;
  fb::put_u32(bad, 8 + slot, 0x10000);
  ValidateOptions opt;
  opt.forced_format = ttml::ttnn_tensorbin;
  expect_finding(validate_bytes(bad, opt), "flatbuffer.verify", 8 + slot);
}

// ---- tensorbin.* --------------------------------------------------------------------------

TEST(FbRules, HeaderSizePastTheFile) {
  auto bad = tensorbin_fixture("bfloat16_tile_20x48.tensorbin");
  fb::put_u64(bad, 0, bad.size());
  ValidateOptions opt;
  opt.forced_format = ttml::ttnn_tensorbin;
  expect_finding(validate_bytes(bad, opt), "tensorbin.header", 0);
}

TEST(FbRules, SpecThatCannotBeDecoded) {
  // data_type 9 does not exist; the finding points at the tensor_spec table.
  auto bad = bf16_tensorbin(32, 32, true, {}, [](ttml::TensorbinSpec& s) { s.data_type = 9; });
  fb::FbNav nav{bad, 8};
  const uint64_t spec = nav.target(nav.root(), 0);
  ValidateOptions opt;
  opt.forced_format = ttml::ttnn_tensorbin;
  auto r = validate_bytes(bad, opt);
  expect_finding(r, "tensorbin.spec", 8 + spec);
  // Block floats in row-major layout are refused too.
  auto rm = bf16_tensorbin(4, 4, false, {}, [](ttml::TensorbinSpec& s) { s.data_type = 3; });
  expect_finding(validate_bytes(rm, opt), "tensorbin.spec", 8 + fb::FbNav{rm, 8}.target(fb::FbNav{rm, 8}.root(), 0));
}

TEST(FbRules, DataLengthNamesTheLayoutTheBytesFit) {
  // 20x48 bfloat16 tiled data (4096 bytes) under a ROW_MAJOR header (which needs 1920).
  auto tiled = bf16_tensorbin(20, 48, true);
  const std::vector<uint8_t> data(tiled.end() - 4096, tiled.end());
  ttml::TensorbinSpec spec;
  spec.shape = {1, 1, 20, 48};
  spec.tile = false;
  spec.shards = {{{0, 0}, 0, 4096}};
  auto bad = ttml::build_tensorbin(spec, data);
  fb::FbNav nav{bad, 8};
  const uint64_t shard = nav.element(nav.target(nav.root(), 2), 0);
  auto r = validate_bytes(bad);
  const auto* f = expect_finding(r, "tensorbin.data_length", 8 + shard);
  ASSERT_TRUE(f);
  EXPECT_NE(f->message.find("the data looks tilized but the header says ROW_MAJOR"), std::string::npos) << f->message;
  // And the reverse: row-major bytes labelled TILE.
  auto rm = bf16_tensorbin(20, 48, false);
  ttml::TensorbinSpec tile_spec = spec;
  tile_spec.tile = true;
  tile_spec.shards = {{{0, 0}, 0, 1920}};
  auto bad2 = ttml::build_tensorbin(tile_spec, std::vector<uint8_t>(rm.end() - 1920, rm.end()));
  const auto r2 = validate_bytes(bad2);  // kept alive: f2 points into it
  const auto* f2 = find_rule_in(r2, "tensorbin.data_length");
  ASSERT_TRUE(f2);
  EXPECT_NE(f2->message.find("the data looks row-major but the header says TILE"), std::string::npos) << f2->message;
}

TEST(FbRules, ShardBytesPastTheEnd) {
  auto bad = tensorbin_fixture("bfloat16_tile_20x48.tensorbin");
  bad.resize(bad.size() - 100);
  auto r = validate_bytes(bad);
  expect_finding(r, "tensorbin.truncated", 360);
  auto cp = test::open_bytes(bad);
  EXPECT_EQ(cp->tensors[0].status, TensorStatus::truncated);
  EXPECT_EQ(cp->tensors[0].truncated_at, bad.size());
}

TEST(FbRules, ShardsWithoutATopology) {
  expect_clean(validate_bytes(tensorbin_fixture("bfloat16_mesh1x2_shard_dim3.tensorbin")), {"tensorbin.shards"});
  expect_clean(validate_bytes(tensorbin_fixture("bfloat16_mesh1x2_replicated.tensorbin")), {"tensorbin.shards"});
  auto bad = bf16_tensorbin(32, 32, true, {{{0, 0}, 0, 2048}, {{0, 1}, 0, 2048}}, [](ttml::TensorbinSpec& s) {
    s.topology = false, s.mesh_shape = {1, 2};
  });
  fb::FbNav nav{bad, 8};
  const uint64_t shard0 = nav.element(nav.target(nav.root(), 2), 0);
  auto r = validate_bytes(bad);
  const auto* f = expect_finding(r, "tensorbin.shards", 8 + shard0);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, Severity::warning);
  // A shard whose coordinate the topology does not list.
  auto lost = bf16_tensorbin(32, 32, true, {{{0, 0}, 0, 2048}, {{0, 7}, 0, 2048}}, [](ttml::TensorbinSpec& s) {
    s.mesh_shape = {1, 2};
    s.distribution_shape = {2};
    s.placements = {{1, 3}};
    s.topology_coords = {{0, 0}, {0, 1}};
  });
  fb::FbNav lnav{lost, 8};
  const auto rl = validate_bytes(lost);  // kept alive: g points into it
  const auto* g = expect_finding(rl, "tensorbin.shards", 8 + lnav.element(lnav.target(lnav.root(), 2), 1));
  ASSERT_TRUE(g);
  EXPECT_NE(g->message.find("mesh coordinate [0, 7]"), std::string::npos) << g->message;
}

TEST(FbRules, NonZeroTilePadding) {
  // The fixture's gammas carry 1.0 in their padding (rows 1..31 of the [1, 1, 1, 64]
  // vector's tiles): the first padded element is row 1, column 0, i.e. element 16 of
  // face 0 of tile 0, two bytes each.
  auto r = validate_path(fb::fixture("fb/tiny_llama"), {});
  const ValidationFinding* f = nullptr;
  for (const auto& x : r.findings)
    if (x.rule == "tensorbin.tile_padding" && x.tensor == "llama/llama/llama_block_0/attention_norm/gamma") f = &x;
  ASSERT_TRUE(f) << dump(r);
  EXPECT_EQ(f->offset, 360u + 16 * 2);
  EXPECT_EQ(f->severity, Severity::warning);
  EXPECT_NE(f->message.find("llama_llama_llama_block_0_attention_norm_gamma_value.tensorbin"), std::string::npos);
  broken().insert("tensorbin.tile_padding");
  ValidateOptions no_scan;
  no_scan.scan = false;
  EXPECT_FALSE(find_rule_in(validate_path(fb::fixture("fb/tiny_llama"), no_scan), "tensorbin.tile_padding"));
}

TEST(FbRules, BlockFloatExponentOf255) {
  auto good = tensorbin_fixture("bfloat8_b_tile_20x32.tensorbin");
  expect_clean(validate_bytes(good), {"tensorbin.bfp_exponent", "data.nonfinite"});
  // Face 1's row 4: exponent byte 16 + 4 of tile 0, whose data start at 360.
  auto bad = good;
  bad[360 + 16 + 4] = 0xFF;
  auto r = validate_bytes(bad);
  expect_finding(r, "tensorbin.bfp_exponent", 360 + 20);
  // Its row decodes to Inf / NaN wherever a magnitude has its top bit set.
  EXPECT_TRUE(find_rule_in(r, "data.nonfinite")) << dump(r);
}

TEST(FbRules, NanInATileIsReportedAtItsByte) {
  auto bad = tensorbin_fixture("bfloat16_tile_20x48.tensorbin");
  // Element (5, 40): tile 1 (columns 32..63), face 0, row 5, column 8 of the face.
  const uint64_t at = 360 + 2048 + (5 * 16 + 8) * 2;
  bad[at] = 0xC0, bad[at + 1] = 0x7F;
  auto r = validate_bytes(bad);
  const auto* f = expect_finding(r, "data.nonfinite", at, "tensor");  // a file in memory has no name
  ASSERT_TRUE(f);
  EXPECT_NE(f->message.find("element 280"), std::string::npos) << f->message;
}

// ---- ttckpt.* -----------------------------------------------------------------------------

TEST(FbRules, MissingAndOrphanFiles) {
  expect_clean(validate_path(fb::fixture("fb/tiny_llama"), {}),
               {"ttckpt.missing_file", "ttckpt.orphan_file", "ttckpt.file_collision", "ttckpt.file_name",
                "ttckpt.spec_mismatch", "ttckpt.duplicate_key", "ttckpt.value_type"});
  const std::string dir = fb::copy_tiny_llama("missing");
  fs::remove(dir + "/llama_llama_fc_weight_value.tensorbin");
  std::ofstream(dir + "/stray.tensorbin") << "x";
  const auto meta = test::read_file(dir + "/metadata.flatbuffer");
  fb::FbNav nav{meta};
  const uint64_t value = nav.target(nav.pair("llama/llama/fc/weight/value"), 2);
  auto r = validate_path(dir, {});
  expect_finding(r, "ttckpt.missing_file", value, "llama/llama/fc/weight");
  const auto* o = expect_finding(r, "ttckpt.orphan_file", std::nullopt);
  ASSERT_TRUE(o);
  EXPECT_NE(o->message.find("stray.tensorbin"), std::string::npos);
  EXPECT_FALSE(r.valid(false));
  // In a tar, the orphan is located at its member header.
  auto files = fb::folder_files(fb::fixture("fb/tiny_llama"));
  files["stray.tensorbin"] = {1, 2, 3};
  const auto tar = fb::make_tar(files);
  uint64_t at = 0, stray_header = 0;
  for (const auto& [name, bytes] : files) {
    if (name == "stray.tensorbin") stray_header = at;
    at += 512 + (bytes.size() + 511) / 512 * 512;
  }
  expect_finding(validate_bytes(tar), "ttckpt.orphan_file", stray_header);
}

// A folder of one tensor file and metadata built from `pairs`.
std::string folder_with(const std::string& name, const std::vector<ttml::MetaPairSpec>& pairs) {
  const std::string dir = test::temp_dir() + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  test::write_temp(name + "/metadata.flatbuffer", ttml::build_metadata(pairs));
  test::write_temp(name + "/a_b_c_value.tensorbin", bf16_tensorbin(32, 64, true));
  return dir;
}

TEST(FbRules, TwoKeysNamingOneFile) {
  using P = ttml::MetaPairSpec;
  const std::string dir = folder_with(
      "collision", {P::text("a/b_c/value", "a_b_c_value.tensorbin"), P::text("a_b/c/value", "a_b_c_value.tensorbin")});
  const auto meta = test::read_file(dir + "/metadata.flatbuffer");
  fb::FbNav nav{meta};
  auto r = validate_path(dir, {});
  expect_finding(r, "ttckpt.file_collision", nav.target(nav.pair("a_b/c/value"), 2), "a_b/c");
  EXPECT_FALSE(find_rule_in(r, "ttckpt.missing_file"));
}

TEST(FbRules, FileNamesOutsideTheFolder) {
  using P = ttml::MetaPairSpec;
  const std::string dir =
      folder_with("escape", {P::text("x/value", "../escape/a_b_c_value.tensorbin"),
                             P::text("y/value", "/etc/passwd.tensorbin"), P::text("z/value", "a_b_c_value.tensorbin")});
  const auto meta = test::read_file(dir + "/metadata.flatbuffer");
  fb::FbNav nav{meta};
  auto r = validate_path(dir, {});
  expect_finding(r, "ttckpt.file_name", nav.target(nav.pair("x/value"), 2), "x");
  auto cp = open_path(dir);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->find("x")->status, TensorStatus::missing);
  EXPECT_EQ(cp->find("y")->status, TensorStatus::missing);
  EXPECT_EQ(cp->find("z")->status, TensorStatus::complete);
}

TEST(FbRules, MetadataThatDisagreesWithTheFile) {
  using P = ttml::MetaPairSpec;
  std::vector<uint8_t> shape(16);
  const uint32_t dims[4] = {1, 1, 64, 64};  // the file holds 32 x 64
  std::memcpy(shape.data(), dims, 16);
  const std::string dir = folder_with(
      "mismatch", {P::byte_vector("t/value/shape", shape), P::number("t/value/data_type", ttml::MetaKind::i32, 1),
                   P::number("t/value/layout", ttml::MetaKind::i32, 1), P::text("t/value", "a_b_c_value.tensorbin")});
  const auto meta = test::read_file(dir + "/metadata.flatbuffer");
  fb::FbNav nav{meta};
  auto r = validate_path(dir, {});
  std::set<uint64_t> at;
  for (const auto& f : r.findings)
    if (f.rule == "ttckpt.spec_mismatch") at.insert(*f.offset);
  EXPECT_EQ(at, (std::set<uint64_t>{nav.pair("t/value/shape"), nav.pair("t/value/data_type")})) << dump(r);
  broken().insert("ttckpt.spec_mismatch");
}

TEST(FbRules, DuplicateKeysAndUnknownValueTypes) {
  using P = ttml::MetaPairSpec;
  auto tensor = P::number("weird", ttml::MetaKind::i32, 5);
  tensor.code = 18;  // the PR branch's TensorValue
  const std::string dir = folder_with(
      "dups", {P::number("AdamW/steps", ttml::MetaKind::u64, 9), P::number("AdamW/steps", ttml::MetaKind::u64, 10),
               tensor, P::text("z/value", "a_b_c_value.tensorbin")});
  const auto meta = test::read_file(dir + "/metadata.flatbuffer");
  fb::FbNav nav{meta};
  const uint64_t pairs = nav.target(nav.root(), 0);
  auto r = validate_path(dir, {});
  expect_finding(r, "ttckpt.duplicate_key", nav.element(pairs, 1));
  expect_finding(r, "ttckpt.value_type", nav.element(pairs, 2));
  auto cp = open_path(dir);
  for (const auto& m : cp->metadata)
    if (m.key == "AdamW/steps") EXPECT_EQ(m.value, "10");  // the later value, as tt-train keeps it
}

TEST(FbRules, CapsOnPairsMetadataSizeAndFolderListing) {
  OpenOptions opt;
  auto ok = open_path(fb::fixture("fb/tiny_llama"), opt);
  for (const char* rule : {"ttckpt.too_many_pairs", "ttckpt.metadata_size", "ttckpt.too_many_files"}) {
    EXPECT_FALSE(finding_of(*ok, rule)) << rule;
    passed().insert(rule);
  }
  const auto meta = test::read_file(fb::fixture("fb/tiny_llama/metadata.flatbuffer"));
  fb::FbNav nav{meta};
  opt.limits.max_metadata_pairs = 10;
  auto pairs = open_path(fb::fixture("fb/tiny_llama"), opt);
  ASSERT_TRUE(pairs);
  const Finding* f = finding_of(*pairs, "ttckpt.too_many_pairs");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->offset, nav.target(nav.root(), 0));
  broken().insert("ttckpt.too_many_pairs");
  opt.limits = {};
  opt.limits.max_flatbuffer_bytes = 4096;  // the metadata is 42800 bytes; headers are 360
  auto big = open_path(fb::fixture("fb/tiny_llama"), opt);
  f = finding_of(*big, "ttckpt.metadata_size");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->offset, 0u);
  broken().insert("ttckpt.metadata_size");
  opt.limits = {};
  opt.limits.max_folder_entries = 10;
  auto listing = open_path(fb::fixture("fb/tiny_llama"), opt);
  ASSERT_TRUE(listing);
  EXPECT_TRUE(finding_of(*listing, "ttckpt.too_many_files"));
  broken().insert("ttckpt.too_many_files");
}

// ---- tar.* --------------------------------------------------------------------------------

TEST(FbRules, TarHeadersThatLie) {
  const auto files = fb::folder_files(fb::fixture("fb/tiny_llama"));
  const auto good = fb::make_tar(files);
  expect_clean(validate_bytes(good), {"tar.checksum", "tar.size", "tar.truncated", "tar.too_many_members"});
  const uint64_t second = 512 + (files.begin()->second.size() + 511) / 512 * 512;  // the second member's header
  auto name = good;
  name[second + 3] ^= 0x20;  // a changed name: the checksum no longer adds up
  expect_finding(validate_bytes(name), "tar.checksum", second + 148);
  auto octal = good;
  std::memcpy(octal.data() + second + 124, "0000000zz00", 11);
  expect_finding(validate_bytes(octal), "tar.checksum", second + 148);  // changed bytes change the sum first
  // A size field that is not octal, with the checksum made to match.
  auto fix_sum = [](std::vector<uint8_t>& b, uint64_t h) {
    std::memset(b.data() + h + 148, ' ', 8);
    uint64_t sum = 0;
    for (int i = 0; i < 512; ++i) sum += b[h + i];
    std::snprintf(reinterpret_cast<char*>(b.data() + h + 148), 8, "%06o", unsigned(sum));
    b[h + 155] = ' ';
  };
  fix_sum(octal, second);
  expect_finding(validate_bytes(octal), "tar.size", second + 124);
  auto huge = good;
  std::memcpy(huge.data() + second + 124, "77777777777", 11);
  fix_sum(huge, second);
  expect_finding(validate_bytes(huge), "tar.size", second + 124);
  auto cut = good;
  cut.resize(second + 100);
  expect_finding(validate_bytes(cut), "tar.truncated", second);
  OpenOptions opt;
  opt.limits.max_tar_members = 3;
  MemorySource src(good);
  auto cp = open_checkpoint(src, opt);
  ASSERT_TRUE(cp);
  const Finding* f = finding_of(*cp, "tar.too_many_members");
  ASSERT_TRUE(f);
  uint64_t fourth = 0;
  int k = 0;
  for (const auto& [n, bytes] : files) {
    if (k++ == 3) break;
    fourth += 512 + (bytes.size() + 511) / 512 * 512;
  }
  EXPECT_EQ(f->offset, fourth);
  broken().insert("tar.too_many_members");
}

// The rules the tests above break and pass (each test records its own in broken() /
// passed() too; ctest runs every test in its own process, so this list is the one kept).
TEST(FbRules, EveryFlatbufferRuleHasABreakingAndAPassingCase) {
  const std::set<std::string> covered{
      "flatbuffer.verify",     "tensorbin.header",      "tensorbin.spec",         "tensorbin.shards",
      "tensorbin.data_length", "tensorbin.truncated",   "tensorbin.tile_padding", "tensorbin.bfp_exponent",
      "ttckpt.missing_file",   "ttckpt.orphan_file",    "ttckpt.file_collision",  "ttckpt.file_name",
      "ttckpt.spec_mismatch",  "ttckpt.duplicate_key",  "ttckpt.value_type",      "ttckpt.too_many_pairs",
      "ttckpt.metadata_size",  "ttckpt.too_many_files", "tar.checksum",           "tar.size",
      "tar.truncated",         "tar.too_many_members"};
  std::set<std::string> catalogue;
  for (const auto& r : rule_catalogue())
    if (r.scope == RuleScope::tagged && (r.tag == "tensorbin" || r.tag == "tar")) catalogue.insert(std::string(r.id));
  EXPECT_EQ(catalogue, covered);
}

}  // namespace
}  // namespace ckpt
