// Conversions to and from tt-train flatbuffer checkpoints: llama2.c and msgpack to the
// folder (and the tar) and back give the same values byte for byte, the folder holds
// exactly what tt-train writes for the model (keys, file names, bfloat16 TILE tensors that
// pass the flatbuffers Verifier), and the folder appears only when complete.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "ckpt/convert.hpp"
#include "ckpt/view_reader.hpp"
#include "fb_test_util.hpp"
#include "llama2c/formats.hpp"
#include "ttml/fb_check.hpp"
#include "ttml/fb_model.hpp"
#include "ttml/ttml.hpp"

namespace ckpt {
namespace {

namespace fb = test::fb;
namespace fs = std::filesystem;

ConvertOptions to(Format f) {
  ConvertOptions o;
  o.to = f;
  o.n_heads = 2;
  o.seq_len = 32;
  o.vocab_size = 24;
  return o;
}

std::vector<uint8_t> convert_bytes(const Checkpoint& cp, ConvertOptions opt) {
  auto plan = plan_conversion(cp, opt);
  EXPECT_TRUE(plan) << (plan ? "" : plan.error().message);
  if (!plan) return {};
  MemorySink out;
  auto r = write_conversion(out, cp, *plan);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return out.bytes();
}

std::string convert_folder(const Checkpoint& cp, ConvertOptions opt, const std::string& name) {
  const std::string path = test::temp_dir() + "/" + name;
  fs::remove_all(path);
  auto plan = plan_conversion(cp, opt);
  EXPECT_TRUE(plan) << (plan ? "" : plan.error().message);
  auto folder = AtomicFolder::create(path);
  EXPECT_TRUE(folder);
  auto r = write_conversion(**folder, cp, *plan);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  EXPECT_FALSE(fs::exists(path));  // nothing at the target before the commit
  EXPECT_TRUE((*folder)->commit());
  return path;
}

Checkpoint open_ok(const std::string& path) {
  auto cp = open_path(path);
  EXPECT_TRUE(cp) << path;
  return std::move(*cp);
}

TEST(FbConvert, LlamaV0ToTheFolderAndBackIsByteForByte) {
  const auto v0 = open_ok(fb::fixture("fb/tiny_llama_v0.bin"));
  ConvertOptions same;
  same.to = llama2c::v0;
  const auto reference = convert_bytes(v0, same);  // ckpt's own v0 of the same weights
  const std::string dir = convert_folder(v0, to(ttml::ttml_flatbuffer), "from_v0");
  const auto folder = open_ok(dir);
  EXPECT_EQ(folder.format, ttml::ttml_flatbuffer);
  EXPECT_TRUE(folder.findings.empty()) << folder.findings[0].message;
  EXPECT_EQ(convert_bytes(folder, to(llama2c::v0)), reference);
  // The same through the tar.
  const auto tar = convert_bytes(v0, to(ttml::ttml_tar));
  auto tcp = test::open_bytes(tar);
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->format, ttml::ttml_tar);
  EXPECT_TRUE(tcp->findings.empty()) << tcp->findings[0].message;
  EXPECT_EQ(convert_bytes(*tcp, to(llama2c::v0)), reference);
  // And msgpack -> folder -> msgpack.
  const auto msgpack = convert_bytes(v0, to(ttml::msgpack_weights));
  auto mcp = test::open_bytes(msgpack);
  const std::string dir2 = convert_folder(*mcp, to(ttml::ttml_flatbuffer), "from_msgpack");
  EXPECT_EQ(convert_bytes(open_ok(dir2), to(ttml::msgpack_weights)), msgpack);
}

TEST(FbConvert, TheFolderHoldsWhatTtTrainWritesForTheModel) {
  const auto v0 = open_ok(fb::fixture("fb/tiny_llama_v0.bin"));
  const std::string dir = convert_folder(v0, to(ttml::ttml_flatbuffer), "keys");
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) files.insert(e.path().filename().string());
  // 2 layers x 8 parameters (kv_linear holds wk and wv) + tok_emb, ln_fc, fc; and the metadata.
  EXPECT_EQ(files.size(), 2 * 8 + 3 + 1u);
  const auto meta = test::read_file(dir + "/metadata.flatbuffer");
  EXPECT_TRUE(ttml::fb::flatbuffers_verify(meta, ttml::fb::kTtmlData));
  fb::FbNav nav{meta};
  const std::string key = "llama/llama/llama_block_1/attention/kv_linear/weight";
  const std::string file = "llama_llama_llama_block_1_attention_kv_linear_weight_value.tensorbin";
  ASSERT_TRUE(files.count(file));
  ASSERT_NE(nav.pair(key + "/value"), 0u);
  EXPECT_EQ(nav.string_at(nav.target(nav.target(nav.pair(key + "/value"), 2), 0)), file);
  for (const char* k :
       {"/value/shape", "/value/data_type", "/value/layout", "/value/storage_type", "/requires_grads", "/has_grads"})
    EXPECT_NE(nav.pair(key + k), 0u) << k;
  // Every key tt-train's write_autograd_tensor puts, and nothing else: 7 per parameter.
  EXPECT_EQ(nav.u32(nav.target(nav.root(), 0)), 7u * (files.size() - 1));
  auto cp = open_ok(dir);
  for (const auto& x : ttml::fb_info_of(cp)->tensors) {
    const auto bytes = test::read_file(dir + "/" + x.file);
    uint64_t n;
    std::memcpy(&n, bytes.data(), 8);
    EXPECT_EQ(n % 8, 0u);
    EXPECT_TRUE(ttml::fb::flatbuffers_verify(
        std::vector<uint8_t>(bytes.begin() + 8, bytes.begin() + 8 + std::ptrdiff_t(n)), ttml::fb::kTensor))
        << x.file;
    EXPECT_EQ(x.header.data_type, 0) << x.file;  // BFLOAT16
    EXPECT_TRUE(x.header.geometry->tile) << x.file;
    EXPECT_EQ(x.meta_data_type, 0);
    EXPECT_EQ(x.meta_layout, 1);
    EXPECT_EQ(x.meta_storage, 1);
    EXPECT_EQ(x.requires_grads, std::optional<bool>(true));
    EXPECT_EQ(x.has_grads, std::optional<bool>(false));
  }
  // The vocabulary is padded to 32 rows, with zeros (the source has no trained padding).
  const TensorInfo* emb = cp.find("llama/llama/tok_emb/weight");
  ASSERT_TRUE(emb);
  EXPECT_EQ(emb->spec.shape, (std::vector<uint64_t>{1, 1, 32, 64}));
  const auto v = fb::values(cp, *emb);
  for (size_t i = 24 * 64; i < v.size(); ++i) ASSERT_EQ(v[i], 0.0f) << i;
}

TEST(FbConvert, FolderToFolderKeepsTrainedPaddingRowsAndTheBlockFloatValues) {
  const auto src = open_ok(fb::fixture("fb/tiny_llama"));
  ConvertOptions opt;
  opt.to = ttml::ttml_flatbuffer;
  opt.n_heads = 2;
  const std::string dir = convert_folder(src, opt, "fb_to_fb");
  const auto out = open_ok(dir);
  // Every canonical view has the same values: the bfloat8_b w2 fits bfloat16 exactly, the
  // padding rows are the source's.
  const auto a = canonical_views(src), b = canonical_views(out);
  size_t compared = 0;
  for (const auto& va : a) {
    if (!va.canonical) continue;
    const CanonicalView* vb = find_view(b, va.name);
    ASSERT_TRUE(vb) << va.name;
    std::vector<float> xa, xb;
    stream_view_f32(src, va, 0, va.numel, [&](uint64_t, const float* x, size_t n) {
      xa.insert(xa.end(), x, x + n);
      return true;
    });
    stream_view_f32(out, *vb, 0, vb->numel, [&](uint64_t, const float* x, size_t n) {
      xb.insert(xb.end(), x, x + n);
      return true;
    });
    EXPECT_EQ(xa, xb) << va.name;
    ++compared;
  }
  EXPECT_EQ(compared, 2 * 9 + 3u);  // kv_linear is two views
}

TEST(FbConvert, FromTheFolderToEveryLlama2cLayout) {
  const auto src = open_ok(fb::fixture("fb/tiny_llama"));
  for (Format f : {llama2c::v0, llama2c::ak42_v1_fp32, llama2c::ak42_v1_q8_0, llama2c::ak42_v2_q8_0,
                   llama2c::ak42_v2_q8_0_scales_last}) {
    ConvertOptions opt = to(f);
    opt.allow_lossy = true;  // ak42-v1-q8_0 drops the untied classifier
    const auto bytes = convert_bytes(src, opt);
    auto cp = test::open_bytes(bytes);
    ASSERT_TRUE(cp) << format_name(f);
    EXPECT_EQ(cp->format, f);
    EXPECT_EQ(cp->config->n_heads, 2);
    EXPECT_EQ(cp->config->n_kv_heads, 1);
    EXPECT_EQ(cp->config->vocab_size, 24);
    EXPECT_FALSE(cp->has_errors()) << format_name(f);
  }
}

TEST(FbConvert, CliWritesTheFolderAtomicallyAndRefusesAFullOne) {
  const std::string out = test::temp_dir() + "/cli_fb";
  fs::remove_all(out);
  auto r = test::run_ckpt({"convert", fb::fixture("fb/tiny_llama_v0.bin"), out, "--to", "ttml-flatbuffer"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out + "/metadata.flatbuffer"));
  const auto before = fb::folder_files(out);
  auto again = test::run_ckpt({"convert", fb::fixture("fb/tiny_llama_v0.bin"), out, "--to", "ttml-flatbuffer"});
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_EQ(fb::folder_files(out), before);
  // Nothing but the outputs is left beside them.
  for (const auto& e : fs::directory_iterator(test::temp_dir()))
    EXPECT_EQ(e.path().filename().string().find(".ckpt-tmp-"), std::string::npos) << e.path();
  auto back = test::run_ckpt(
      {"convert", out, out + ".bin", "--to", "llama2c-v0", "--n-heads", "2", "--seq-len", "32", "--vocab-size", "24"});
  EXPECT_EQ(back.exit_code, 0) << back.err;
  // The fixture's RoPE tables were computed by numpy: compare with ckpt's own v0.
  auto ref = test::run_ckpt({"convert", fb::fixture("fb/tiny_llama_v0.bin"), out + ".ref.bin", "--to", "llama2c-v0"});
  EXPECT_EQ(ref.exit_code, 0) << ref.err;
  EXPECT_EQ(test::read_file(out + ".bin"), test::read_file(out + ".ref.bin"));
}

}  // namespace
}  // namespace ckpt
