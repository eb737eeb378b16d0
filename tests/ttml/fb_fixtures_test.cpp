// tt-train flatbuffer checkpoints read against fixtures/ttml/fb/expected.json (written by
// the generator beside the files): every tensor's dtype, layout, logical and padded
// shape, data offset and length, and its decoded values (first eight, min, max, sum) from
// the folder, its metadata file alone, a tar of it, and each .tensorbin variant.
#include <gtest/gtest.h>

#include <cmath>

#include "ckpt/checkpoint.hpp"
#include "fb_test_util.hpp"
#include "ttml/fb_model.hpp"
#include "ttml/ttml.hpp"

namespace ckpt {
namespace {

using nlohmann::json;
namespace fb = test::fb;

std::string strip_value(const std::string& key) {
  return key.ends_with("/value") ? key.substr(0, key.size() - 6) : key;
}

DType dtype_of(const std::string& name) {
  if (name == "BFLOAT16") return DType::bf16;
  if (name == "FLOAT32") return DType::f32;
  if (name == "UINT32") return DType::u32;
  if (name == "BFLOAT8_B") return DType::bfp8_b;
  return DType::bfp4_b;
}

// The values against the generator's statistics: first eight, min and max exactly, the
// sum to rounding (numpy sums pairwise).
void expect_values(const std::vector<float>& v, const json& e, const std::string& what) {
  ASSERT_EQ(v.size(), e["numel"].get<size_t>()) << what;
  double sum = 0, mn = INFINITY, mx = -INFINITY;
  for (float x : v) sum += x, mn = std::min<double>(mn, x), mx = std::max<double>(mx, x);
  for (size_t i = 0; i < 8 && i < v.size(); ++i)
    EXPECT_EQ(double(v[i]), e["first8"][i].get<double>()) << what << " [" << i << "]";
  EXPECT_EQ(mn, e["min"].get<double>()) << what;
  EXPECT_EQ(mx, e["max"].get<double>()) << what;
  EXPECT_NEAR(sum, e["sum"].get<double>(), 1e-9 * std::max(1.0, std::fabs(sum))) << what;
}

void expect_checkpoint_matches(const Checkpoint& cp, const std::string& what) {
  const auto& all = fb::expected()["tensors"]["flatbuffer"];
  ASSERT_EQ(cp.tensors.size(), all.size()) << what;
  const ttml::FbInfo* info = ttml::fb_info_of(cp);
  ASSERT_TRUE(info);
  for (const auto& e : all) {
    const std::string name = strip_value(e["key"]);
    const TensorInfo* t = cp.find(name);
    ASSERT_TRUE(t) << name;
    EXPECT_EQ(t->status, TensorStatus::complete) << name;
    EXPECT_EQ(t->spec.dtype, dtype_of(e["dtype"])) << name;
    EXPECT_EQ(t->spec.shape, e["logical_shape"].get<std::vector<uint64_t>>()) << name;
    EXPECT_EQ(t->place.nbytes, e["data_bytes"].get<uint64_t>()) << name;
    const ttml::FbTensor* x = info->tensor_of(cp, *t);
    ASSERT_TRUE(x && x->header.geometry) << name;
    // Offsets are the .tensorbin's own (the tar adds the member's start).
    EXPECT_EQ(t->place.offset - x->header.base, e["data_offset"].get<uint64_t>()) << name;
    EXPECT_EQ(x->header.geometry->padded, e["padded_shape"].get<std::vector<uint64_t>>()) << name;
    EXPECT_EQ(x->header.geometry->tile, e["layout"] == "TILE") << name;
    expect_values(fb::values(cp, *t), e, what + " " + name);
  }
}

TEST(TtmlFlatbuffer, FolderMatchesExpectedJson) {
  auto cp = open_path(fb::fixture("fb/tiny_llama"));
  ASSERT_TRUE(cp) << cp.error().message;
  EXPECT_EQ(cp->format, ttml::ttml_flatbuffer);
  EXPECT_TRUE(cp->folder);
  EXPECT_TRUE(cp->findings.empty()) << cp->findings[0].message;
  const ttml::FbInfo* info = ttml::fb_info_of(*cp);
  EXPECT_EQ(info->container, ttml::FbContainer::folder);
  EXPECT_EQ(info->metadata.schema, ttml::MetaSchema::current);
  EXPECT_EQ(info->model, "llama");
  EXPECT_EQ(info->prefix, "llama/llama/");
  EXPECT_TRUE(info->orphans.empty());
  expect_checkpoint_matches(*cp, "folder");
  // Metadata that is not about a tensor: the optimizer's and the scheduler's values.
  std::map<std::string, std::string> meta;
  for (const auto& m : cp->metadata) meta[m.key] = m.value;
  EXPECT_EQ(meta["AdamW/steps"], "10");
  EXPECT_EQ(meta["AdamW/amsgrad"], "false");
  EXPECT_EQ(meta["scheduler/m_last_step"], "10");
  EXPECT_EQ(meta["scheduler/m_last_lr"], "0.001");
  EXPECT_EQ(meta.size(), 4u);
}

TEST(TtmlFlatbuffer, MetadataFileAloneReadsItsFolder) {
  auto cp = open_path(fb::fixture("fb/tiny_llama/metadata.flatbuffer"));
  ASSERT_TRUE(cp) << cp.error().message;
  EXPECT_EQ(cp->format, ttml::ttml_flatbuffer);
  EXPECT_FALSE(cp->folder);
  EXPECT_EQ(ttml::fb_info_of(*cp)->container, ttml::FbContainer::metadata_file);
  expect_checkpoint_matches(*cp, "metadata file");
}

TEST(TtmlFlatbuffer, MetadataFromMemoryNamesEveryFileMissing) {
  // Without a folder (bytes in memory) nothing can be found, and nothing is looked for in
  // the current folder.
  auto cp = test::open_bytes(test::read_file(fb::fixture("fb/tiny_llama/metadata.flatbuffer")));
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->format, ttml::ttml_flatbuffer);
  ASSERT_EQ(cp->tensors.size(), 57u);
  for (const auto& t : cp->tensors) EXPECT_EQ(t.status, TensorStatus::missing) << t.spec.name;
  size_t missing = 0;
  for (const auto& f : cp->findings) missing += f.rule == "ttckpt.missing_file";
  EXPECT_EQ(missing, 57u);
  // The shape and dtype still come from the metadata.
  const TensorInfo* kv = cp->find("llama/llama/llama_block_0/attention/kv_linear/weight");
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->spec.shape, (std::vector<uint64_t>{1, 1, 64, 64}));
  EXPECT_EQ(kv->spec.dtype, DType::bf16);
}

TEST(TtmlFlatbuffer, TarOfTheFolderReadsTheSameValues) {
  const auto files = fb::folder_files(fb::fixture("fb/tiny_llama"));
  for (const std::string prefix : {"", "tiny_llama/"}) {
    const auto tar = fb::make_tar(files, prefix);
    auto cp = test::open_bytes(tar);
    ASSERT_TRUE(cp) << cp.error().message;
    EXPECT_EQ(cp->format, ttml::ttml_tar) << prefix;
    EXPECT_TRUE(cp->findings.empty()) << cp->findings[0].message;
    const ttml::FbInfo* info = ttml::fb_info_of(*cp);
    EXPECT_EQ(info->metadata_name, prefix + "metadata.flatbuffer");
    EXPECT_EQ(info->tar.members.size(), files.size());
    EXPECT_TRUE(info->tar.end_marker);
    expect_checkpoint_matches(*cp, "tar " + prefix);
  }
}

TEST(TtmlFlatbuffer, EveryTensorbinVariantMatchesExpectedJson) {
  const std::map<std::string, std::string> variants{
      {"uint32_row_major.tensorbin", "v0 (8-byte aligned data)"},
      {"float32_row_major_rank3.tensorbin", "v0 (8-byte aligned data)"},
      {"bfloat16_tile_20x48.tensorbin", "v0 (8-byte aligned data)"},
      {"bfloat4_b_tile.tensorbin", "v0 (8-byte aligned data)"},
      {"bfloat8_b_tile_20x32.tensorbin", "v0 (8-byte aligned data)"},
      {"bfloat16_tile_aligned64.tensorbin", "64-byte aligned data"},
      {"bfloat16_tile_schema_v1.tensorbin", "schema v1 (TTNB)"},
  };
  size_t seen = 0;
  for (const auto& e : fb::expected()["tensors"]["tensorbin"]) {
    const std::string key = e["key"];
    if (key.find('#') != std::string::npos) continue;  // the mesh files: below
    ++seen;
    auto cp = open_path(fb::fixture(e["file"]));
    ASSERT_TRUE(cp) << key;
    EXPECT_EQ(cp->format, ttml::ttnn_tensorbin) << key;
    EXPECT_TRUE(cp->findings.empty()) << key << ": " << cp->findings[0].message;
    ASSERT_EQ(cp->tensors.size(), 1u);
    const TensorInfo& t = cp->tensors[0];
    const ttml::FbTensor& x = ttml::fb_info_of(*cp)->tensors[0];
    EXPECT_EQ(ttml::tensorbin_variant(x.header), variants.at(key)) << key;
    EXPECT_EQ(x.header.identifier, key == "bfloat16_tile_schema_v1.tensorbin") << key;
    EXPECT_EQ(t.spec.dtype, dtype_of(e["dtype"])) << key;
    EXPECT_EQ(t.spec.shape, e["logical_shape"].get<std::vector<uint64_t>>()) << key;
    EXPECT_EQ(x.header.geometry->padded, e["padded_shape"].get<std::vector<uint64_t>>()) << key;
    EXPECT_EQ(t.place.offset, e["data_offset"].get<uint64_t>()) << key;
    EXPECT_EQ(t.place.nbytes, e["data_bytes"].get<uint64_t>()) << key;
    expect_values(fb::values(*cp, t), e, key);
  }
  EXPECT_EQ(seen, variants.size());
}

TEST(TtmlFlatbuffer, MeshShardsAreConcatenatedAndReplicasReadOnce) {
  const json& s0 = fb::expected_tensor("tensorbin", "bfloat16_mesh1x2_shard_dim3.tensorbin#shard0");
  const json& s1 = fb::expected_tensor("tensorbin", "bfloat16_mesh1x2_shard_dim3.tensorbin#shard1");
  auto cp = open_path(fb::fixture("fb/tensorbin/bfloat16_mesh1x2_shard_dim3.tensorbin"));
  ASSERT_TRUE(cp);
  EXPECT_TRUE(cp->findings.empty());
  const TensorInfo& t = cp->tensors[0];
  // Two 32x32 shards side by side along dim 3: a 32x64 tensor.
  EXPECT_EQ(t.spec.shape, (std::vector<uint64_t>{1, 1, 32, 64}));
  const ttml::FbTensor& x = ttml::fb_info_of(*cp)->tensors[0];
  EXPECT_EQ(x.grid.blocks, (std::vector<uint64_t>{1, 1, 1, 2}));
  EXPECT_EQ(x.grid.how, "sharded on dim 3 over 2 (2 shard records)");
  EXPECT_EQ(x.header.data_start + x.header.shards[0].offset, s0["data_offset"].get<uint64_t>());
  EXPECT_EQ(x.header.data_start + x.header.shards[1].offset, s1["data_offset"].get<uint64_t>());
  const auto v = fb::values(*cp, t);
  ASSERT_EQ(v.size(), 2048u);
  std::vector<float> left, right;
  for (size_t r = 0; r < 32; ++r) {
    left.insert(left.end(), v.begin() + r * 64, v.begin() + r * 64 + 32);
    right.insert(right.end(), v.begin() + r * 64 + 32, v.begin() + r * 64 + 64);
  }
  expect_values(left, s0, "shard 0");
  expect_values(right, s1, "shard 1");

  auto rep = open_path(fb::fixture("fb/tensorbin/bfloat16_mesh1x2_replicated.tensorbin"));
  ASSERT_TRUE(rep);
  EXPECT_TRUE(rep->findings.empty());
  const ttml::FbTensor& rx = ttml::fb_info_of(*rep)->tensors[0];
  EXPECT_EQ(rep->tensors[0].spec.shape, (std::vector<uint64_t>{1, 1, 32, 32}));
  EXPECT_EQ(rx.header.shards.size(), 2u);
  EXPECT_EQ(rx.header.shards[0].offset, rx.header.shards[1].offset);  // one copy, two records
  EXPECT_EQ(rx.grid.how, "replicated on 2 devices (one copy read)");
  expect_values(fb::values(*rep, rep->tensors[0]),
                fb::expected_tensor("tensorbin", "bfloat16_mesh1x2_replicated.tensorbin#shard0"), "replicated");
}

TEST(TtmlFlatbuffer, ChunkSizesGiveTheSameValues) {
  auto cp = open_path(fb::fixture("fb/tiny_llama"));
  ASSERT_TRUE(cp);
  for (const auto& t : cp->tensors) {
    const auto whole = fb::values(*cp, t);
    for (size_t chunk : {size_t(1), size_t(7), size_t(1000)})
      EXPECT_EQ(fb::values(*cp, t, chunk), whole) << t.spec.name;
  }
}

TEST(TtmlFlatbuffer, OpeningReadsTheMetadataAndEveryHeaderOnly) {
  auto cp = open_path(fb::fixture("fb/tiny_llama"));
  ASSERT_TRUE(cp);
  const ttml::FbInfo* info = ttml::fb_info_of(*cp);
  uint64_t expect = info->metadata_size, read = 0;
  for (const auto& x : info->tensors) expect += 8 + x.header.header_size;
  for (size_t i = 0; i < cp->sources.size(); ++i) read += cp->source(i).bytes_read();
  EXPECT_EQ(read, expect);
  EXPECT_EQ(cp->sources.size(), 58u);  // the metadata and 57 tensor files, each opened per read
}

}  // namespace
}  // namespace ckpt
