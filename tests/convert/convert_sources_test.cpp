// convert from the sources llama2.c's export.py reads: the bytes export.py (commit
// 350e04fe, run with Debian's torch 1.13 on x86 with AVX2) wrote for the same inputs, in
// every llama2.c version; the untied train.py checkpoint written right, with a note on
// how export.py's output differs.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "ckpt/rope.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

std::string torch_fixture(const std::string& rel) { return std::string(CKPT_SOURCE_DIR) + "/fixtures/torch/" + rel; }

struct Case {
  const char* source;
  const char* expected;  // stem of expected/<stem>.v{0,1,2}.bin
};

TEST(ConvertSources, ByteIdenticalToExportPy) {
  const Case cases[] = {{"train/ckpt_tied.pt", "ckpt_tied"},
                        {"train/ckpt_legacy.pt", "ckpt_tied"},
                        {"meta/llama-2-tiny", "meta"},
                        {"hf/f32-safetensors-mha-tied", "hf_mha_tied"}};
  const std::pair<const char*, const char*> versions[] = {
      {"v0", "llama2c-v0"}, {"v1", "ak42-v1-fp32"}, {"v2", "ak42-v2-q8_0"}};
  for (const auto& c : cases)
    for (const auto& [v, layout] : versions) {
      // v0's RoPE tables are PyTorch's only with its SLEEF kernels (libsleef, AVX2).
      if (std::string(v) == "v0" && !rope_matches_pytorch()) continue;
      const std::string out = test::temp_dir() + "/" + c.expected + "." + v + ".bin";
      std::filesystem::remove(out);
      auto r = test::run_ckpt({"convert", torch_fixture(c.source), out, "--to", layout});
      ASSERT_EQ(r.exit_code, 0) << c.source << " " << layout << "\n" << r.err;
      EXPECT_TRUE(test::read_file(out) ==
                  test::read_file(torch_fixture(std::string("expected/") + c.expected + "." + v + ".bin")))
          << c.source << " -> " << layout;
    }
}

TEST(ConvertSources, MetaDefaultsAndOverridesSeqLen) {
  const std::string out = test::temp_dir() + "/meta-seq.bin";
  std::filesystem::remove(out);
  auto r = test::run_ckpt({"convert", torch_fixture("meta/llama-2-tiny"), out, "--to", "ak42-v1-fp32"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("seq_len 2048 (Meta checkpoints do not store it"), std::string::npos) << r.err;
  std::filesystem::remove(out);
  r = test::run_ckpt({"convert", torch_fixture("meta/llama-2-tiny"), out, "--to", "ak42-v1-fp32", "--seq-len", "64"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto cp = test::open_bytes(test::read_file(out));
  ASSERT_TRUE(cp && cp->config);
  EXPECT_EQ(cp->config->seq_len, 64);
}

TEST(ConvertSources, UntiedCheckpointIsWrittenUntiedWithANote) {
  const std::string out = test::temp_dir() + "/untied.v0.bin";
  std::filesystem::remove(out);
  auto r = test::run_ckpt({"convert", torch_fixture("train/ckpt_untied_compiled.pt"), out, "--to", "llama2c-v0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("export.py --checkpoint would differ"), std::string::npos) << r.err;
  auto cp = test::open_bytes(test::read_file(out));
  ASSERT_TRUE(cp && cp->config);
  EXPECT_FALSE(cp->config->shared_classifier);  // negative vocab_size in v0
  EXPECT_NE(test::tensor_named(*cp, "output.weight"), nullptr);
  // Equal to its source; export.py's file has the classifier in place of the embedding.
  EXPECT_EQ(test::run_ckpt({"diff", out, torch_fixture("train/ckpt_untied_compiled.pt")}).exit_code, 0);
  auto d = test::run_ckpt(
      {"diff", torch_fixture("train/ckpt_untied_compiled.pt"), torch_fixture("expected/ckpt_untied_compiled.v0.bin")});
  EXPECT_EQ(d.exit_code, 1);
  EXPECT_NE(d.out.find("A's output.weight equals B's tok_embeddings.weight"), std::string::npos) << d.out;
}

TEST(ConvertSources, HfFolderRoundTripsThroughLlama2c) {
  // HF (GQA, which export.py --hf cannot convert) -> v1 -> HF: equal at every step.
  const std::string v1 = test::temp_dir() + "/hf-gqa.v1.bin", hf = test::temp_dir() + "/hf-gqa-back";
  std::filesystem::remove(v1);
  std::filesystem::remove_all(hf);
  ASSERT_EQ(test::run_ckpt({"convert", torch_fixture("hf/bf16-bin-sharded"), v1, "--to", "ak42-v1-fp32"}).exit_code, 0);
  EXPECT_EQ(test::run_ckpt({"diff", v1, torch_fixture("hf/bf16-bin-sharded")}).exit_code, 0);
  ASSERT_EQ(test::run_ckpt({"convert", v1, hf, "--to", "hf-llama"}).exit_code, 0);
  EXPECT_EQ(test::run_ckpt({"diff", hf, torch_fixture("hf/f32-safetensors")}).exit_code, 0);
  EXPECT_TRUE(test::read_file(hf + "/model.safetensors") ==
              test::read_file(torch_fixture("hf/f32-safetensors/model.safetensors")));
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

// llama2.c's retired Meta exporter (export_meta_llama_bin.py) hard-codes vocab_size 32000
// in the header: where it is right (every other byte), ckpt writes the same bytes; its
// header is wrong for any other vocabulary, and ckpt writes the real one.
TEST(ConvertSources, RetiredMetaExporterDiffersOnlyInItsHardCodedVocabulary) {
  if (!rope_matches_pytorch()) GTEST_SKIP() << "v0 RoPE tables need libsleef and AVX2 to be PyTorch's";
  const std::string out = test::temp_dir() + "/meta-legacy.v0.bin";
  std::filesystem::remove(out);
  ASSERT_EQ(test::run_ckpt({"convert", torch_fixture("meta/llama-2-tiny"), out, "--to", "llama2c-v0"}).exit_code, 0);
  const auto mine = test::read_file(out);
  const auto legacy = test::read_file(torch_fixture("expected/meta.legacy_export_meta_llama_bin.bin"));
  ASSERT_EQ(mine.size(), legacy.size());
  for (size_t i = 0; i < mine.size(); ++i)
    if (i < 20 || i >= 24) ASSERT_EQ(mine[i], legacy[i]) << "byte " << i;
  int32_t ours, theirs;
  std::memcpy(&ours, &mine[20], 4);
  std::memcpy(&theirs, &legacy[20], 4);
  EXPECT_EQ(ours, -64);  // 64 tokens, untied
  EXPECT_EQ(theirs, -32000);
}

}  // namespace
}  // namespace ckpt
