// convert --to hf-safetensors: the folder transformers' save_pretrained writes, byte for
// byte (the fixtures were written by a reproduction of the safetensors library checked
// against its own test vectors), with q/k in Hugging Face's rotary layout.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.hpp"

namespace ckpt {
namespace {

std::string torch_fixture(const std::string& rel) { return std::string(CKPT_SOURCE_DIR) + "/fixtures/torch/" + rel; }

TEST(HfWriter, F32FolderIsByteIdentical) {
  const std::string out = test::temp_dir() + "/hf-f32";
  auto r = test::run_ckpt({"convert", torch_fixture("expected/meta.v0.bin"), out, "--to", "hf-safetensors"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(out + "/model.safetensors"),
            test::read_file(torch_fixture("hf/f32-safetensors/model.safetensors")));
  // The same config but max_position_embeddings: meta.v0.bin's header says 2048.
  auto config = test::read_file(out + "/config.json");
  const std::string text(config.begin(), config.end());
  EXPECT_NE(text.find("\"max_position_embeddings\": 2048,"), std::string::npos) << text;
  EXPECT_NE(text.find("\"num_key_value_heads\": 2,"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out + "/model.safetensors.index.json"));
}

TEST(HfWriter, Bf16ShardsAndIndexAreByteIdentical) {
  const std::string out = test::temp_dir() + "/hf-bf16";
  auto r = test::run_ckpt({"convert", torch_fixture("expected/meta.v0.bin"), out, "--to", "hf-safetensors", "--dtype",
                           "bf16", "--max-shard-size", "40KB"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f :
       {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"})
    EXPECT_EQ(test::read_file(out + "/" + f),
              test::read_file(torch_fixture(std::string("hf/bf16-safetensors-sharded/") + f)))
        << f;
}

TEST(HfWriter, RefusesAnExistingFolderAndLeavesNothingOnFailure) {
  const std::string out = test::temp_dir() + "/hf-existing";
  std::filesystem::create_directory(out);
  test::write_temp("hf-existing/keep.txt", {'x'});
  auto r = test::run_ckpt({"convert", torch_fixture("expected/meta.v0.bin"), out, "--to", "hf-safetensors"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("must be new or empty"), std::string::npos) << r.err;
  // A bad option: nothing is created next to the target.
  const std::string out2 = test::temp_dir() + "/hf-bad";
  r = test::run_ckpt(
      {"convert", torch_fixture("expected/meta.v0.bin"), out2, "--to", "hf-safetensors", "--dtype", "q4"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(out2));
  for (const auto& e : std::filesystem::directory_iterator(test::temp_dir()))
    EXPECT_EQ(e.path().filename().string().find(".hf-bad.ckpt-tmp"), std::string::npos) << e.path();
}

}  // namespace
}  // namespace ckpt
