// The PR-branch variants of tt-train's flatbuffer checkpoints (PR #32326 before its
// squash merge; never on main): metadata in ttml_tensor.fbs (no bfloat16 types, so union
// codes from 8 on are shifted down by one) naming tensors with `<key>/tensor_file`, and
// the tar of one `<group>.flatbuffer` per first key element.
#include <gtest/gtest.h>

#include <filesystem>

#include "fb_test_util.hpp"
#include "ttml/fb_build.hpp"
#include "ttml/fb_model.hpp"
#include "ttml/ttml.hpp"

namespace ckpt {
namespace {

namespace fb = test::fb;
using P = ttml::MetaPairSpec;

std::vector<uint8_t> bf16_tensorbin_32x32(float scale) {
  std::vector<float> v(32 * 32);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i % 64) * scale;
  ttml::TensorbinSpec spec;
  spec.shape = {1, 1, 32, 32};
  spec.shards = {{{0, 0}, 0, 2048}};
  return ttml::build_tensorbin(spec, fb::tilize_bf16(v, 32, 32));
}

// PR-schema pairs: StringValue is code 8, VectorUInt8 code 13, SizeTValue 7 (as today).
std::vector<uint8_t> pr_metadata(const std::string& tensor_key, const std::string& file, bool with_steps) {
  auto name = P::text(tensor_key + "/tensor_file", file);
  name.code = 8;
  std::vector<uint8_t> dims(16);
  const uint32_t d[4] = {1, 1, 32, 32};
  std::memcpy(dims.data(), d, 16);
  auto shape = P::byte_vector(tensor_key + "/shape", dims);
  shape.code = 13;
  std::vector<P> pairs{name, shape};
  if (with_steps) pairs.push_back(P::number("step", ttml::MetaKind::u64, 10));
  return ttml::build_metadata(pairs);
}

TEST(FbPrBranch, MetadataInTheBranchSchemaIsToldApartAndRead) {
  const std::string dir = test::temp_dir() + "/pr_folder";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  test::write_temp("pr_folder/metadata.flatbuffer", pr_metadata("w/value", "w_value.tensorbin", true));
  test::write_temp("pr_folder/w_value.tensorbin", bf16_tensorbin_32x32(0.5f));
  auto cp = open_path(dir);
  ASSERT_TRUE(cp) << cp.error().message;
  const ttml::FbInfo* info = ttml::fb_info_of(*cp);
  EXPECT_EQ(info->metadata.schema, ttml::MetaSchema::pr32326) << info->metadata.schema_reason;
  EXPECT_TRUE(cp->findings.empty()) << cp->findings[0].message;
  ASSERT_EQ(cp->tensors.size(), 1u);
  EXPECT_EQ(cp->tensors[0].spec.name, "w");
  EXPECT_EQ(cp->tensors[0].status, TensorStatus::complete);
  EXPECT_EQ(info->tensors[0].meta_shape, (std::vector<uint64_t>{1, 1, 32, 32}));
  const auto v = fb::values(*cp, cp->tensors[0]);
  EXPECT_EQ(v[33], 16.5f);  // element (1, 1) = 33 % 64 * 0.5
  ASSERT_EQ(cp->metadata.size(), 1u);
  EXPECT_EQ(cp->metadata[0].key, "step");
  EXPECT_EQ(cp->metadata[0].value, "10");
}

TEST(FbPrBranch, GroupTarsArePutBackTogether) {
  // tar_writer.cpp's archive: one TTMLData per first key element, the group's name taken
  // off the keys ("data" holds the keys without '/'); tensors dumped to <key>.tensorbin.
  std::map<std::string, std::vector<uint8_t>> files{
      {"llama.flatbuffer", pr_metadata("w/value", "llama/w/value.tensorbin", false)},
      {"data.flatbuffer", ttml::build_metadata({P::number("step", ttml::MetaKind::u64, 10)})},
      {"llama/w/value.tensorbin", bf16_tensorbin_32x32(0.25f)},
  };
  auto cp = test::open_bytes(fb::make_tar(files));
  ASSERT_TRUE(cp) << cp.error().message;
  EXPECT_EQ(cp->format, ttml::ttml_tar);
  EXPECT_TRUE(cp->findings.empty()) << cp->findings[0].message;
  ASSERT_EQ(cp->tensors.size(), 1u);
  EXPECT_EQ(cp->tensors[0].spec.name, "llama/w");
  EXPECT_EQ(cp->tensors[0].status, TensorStatus::complete);
  EXPECT_EQ(fb::values(*cp, cp->tensors[0])[33], 8.25f);
  ASSERT_EQ(cp->metadata.size(), 1u);
  EXPECT_EQ(cp->metadata[0].key, "step");
}

TEST(FbPrBranch, BothSchemasVerifyAndTheValuesDecide) {
  // A pair of union type 9 holding a string: current schema's StringValue, the branch's
  // VectorChar. Naming a .tensorbin decides for the current schema.
  auto cp = test::open_bytes(ttml::build_metadata({P::text("w/value", "w_value.tensorbin")}));
  ASSERT_TRUE(cp);
  const ttml::FbInfo* info = ttml::fb_info_of(*cp);
  EXPECT_EQ(info->metadata.schema, ttml::MetaSchema::current);
  EXPECT_NE(info->metadata.schema_reason.find("naming a .tensorbin"), std::string::npos)
      << info->metadata.schema_reason;
  // Union type 18 (the branch's embedded TensorValue) is reported, never read.
  auto weird = P::number("t", ttml::MetaKind::i32, 1);
  weird.code = 18;
  auto w = test::open_bytes(ttml::build_metadata({P::text("w/value", "w_value.tensorbin"), weird}));
  ASSERT_TRUE(w);
  bool found = false;
  for (const auto& f : w->findings)
    found |= f.rule == "ttckpt.value_type" && f.message.find("TensorValue") != std::string::npos;
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace ckpt
