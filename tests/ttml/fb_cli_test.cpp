// Every command on tt-train flatbuffer checkpoints: inspect (text and JSON, --at naming
// tile, face and element), validate, hash --values equal to the llama2.c file of the same
// weights, and diff by value between tiled and row-major storage.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ckpt/locate.hpp"
#include "fb_test_util.hpp"
#include "ttml/fb_build.hpp"
#include "ttml/fb_model.hpp"
#include "ttml/ttml.hpp"

namespace ckpt {
namespace {

namespace fb = test::fb;
using nlohmann::json;

TEST(FbCli, InspectJsonDescribesTheFolder) {
  auto r = test::run_ckpt({"inspect", fb::fixture("fb/tiny_llama"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json d = json::parse(r.out);
  EXPECT_EQ(d["format"], "ttml-flatbuffer");
  EXPECT_EQ(d["flatbuffer"]["container"], "folder");
  EXPECT_EQ(d["flatbuffer"]["model"], "llama");
  EXPECT_EQ(d["flatbuffer"]["metadata"]["schema"], "ttml_metadata.fbs");
  EXPECT_EQ(d["flatbuffer"]["llama"]["kv_dim"], 32);
  bool seen = false;
  for (const auto& t : d["tensors"]) {
    if (t["name"] != "llama/llama/llama_block_1/mlp/w2/weight") continue;
    seen = true;
    EXPECT_EQ(t["dtype"], "bfp8_b");
    EXPECT_EQ(t["tensorbin"]["data_type"], "BFLOAT8_B");
    EXPECT_EQ(t["tensorbin"]["layout"], "TILE");
    EXPECT_EQ(t["tensorbin"]["file"], "llama_llama_llama_block_1_mlp_w2_weight_value.tensorbin");
    EXPECT_EQ(t["tensorbin"]["header_size"], 352);
    EXPECT_EQ(t["tensorbin"]["shards"][0]["size"], 2176);
  }
  EXPECT_TRUE(seen);
  auto text = test::run_ckpt({"inspect", fb::fixture("fb/tiny_llama")});
  EXPECT_NE(text.out.find("tt-train flatbuffer checkpoint (folder)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("AdamW/steps = 10"), std::string::npos) << text.out;
}

TEST(FbCli, AtNamesTileFaceAndElement) {
  const std::string f = fb::fixture("fb/tensorbin/bfloat16_tile_20x48.tensorbin");
  auto cp = open_path(f);
  ASSERT_TRUE(cp);
  // Element (5, 40): tile 1, face 0, row 5, column 8; its second byte.
  const uint64_t at = 360 + 2048 + (5 * 16 + 8) * 2 + 1;
  const Location l = locate(*cp, at);
  EXPECT_EQ(l.kind, RegionKind::tensor_data);
  EXPECT_EQ(l.element, 5u * 48 + 40);
  EXPECT_EQ(l.index, (std::vector<uint64_t>{0, 0, 5, 40}));
  EXPECT_EQ(l.byte_in_element, 1u);
  EXPECT_EQ(l.region_start, at - 1);
  EXPECT_NE(l.part.find("tile 1 (tile row 0, tile column 1), face 0 (top left), row 5 column 8"), std::string::npos)
      << l.part;
  const auto v = fb::values(*cp, cp->tensors[0]);
  EXPECT_EQ(l.value, std::optional<double>(v[5 * 48 + 40]));
  // A padding element: row 31, column 63 (tile 1, face 3, last row and column).
  const Location p = locate(*cp, 360 + 2 * 2048 - 2);
  EXPECT_NE(p.part.find("tile padding: padded element [31, 63] of the 32x64 matrix"), std::string::npos) << p.part;
  EXPECT_TRUE(p.index.empty());
  EXPECT_EQ(locate(*cp, 3).field, "bfloat16_tile_20x48.tensorbin: header_size (u64)");
  // A block float's shared exponent.
  auto b8 = open_path(fb::fixture("fb/tensorbin/bfloat8_b_tile_20x32.tensorbin"));
  const Location e = locate(*b8, 360 + 16 + 4);
  EXPECT_EQ(e.kind, RegionKind::tensor_scale);
  EXPECT_NE(e.part.find("shared exponent, tile 0 (tile row 0, tile column 0), face 1 (top right), row 4"),
            std::string::npos)
      << e.part;
  auto r = test::run_ckpt({"inspect", f, "--at", std::to_string(at)});
  EXPECT_NE(r.out.find("element 280 [0, 0, 5, 40]"), std::string::npos) << r.out;
}

TEST(FbCli, ValidateExitCodes) {
  EXPECT_EQ(test::run_ckpt({"validate", fb::fixture("fb/tensorbin/bfloat16_tile_20x48.tensorbin")}).exit_code, 0);
  // The fixture folder's gammas carry 1.0 in their padding: warnings, an error only under --strict.
  EXPECT_EQ(test::run_ckpt({"validate", fb::fixture("fb/tiny_llama")}).exit_code, 0);
  EXPECT_EQ(test::run_ckpt({"validate", "--strict", fb::fixture("fb/tiny_llama")}).exit_code, 1);
  auto bad = test::read_file(fb::fixture("fb/tensorbin/bfloat8_b_tile_20x32.tensorbin"));
  bad[380] = 0xFF;
  auto r = test::run_ckpt({"validate", "--json", test::write_temp("exp255.tensorbin", bad)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("tensorbin.bfp_exponent"), std::string::npos);
}

TEST(FbCli, HashValuesOfTheModelEqualTheLlamaFileOfTheSameWeights) {
  // The tt-train folder stores w2 of layer 1 as bfloat8_b: compare a folder written from
  // the v0 file (bfloat16, exact) with it.
  const std::string dir = test::temp_dir() + "/hash_fb";
  std::filesystem::remove_all(dir);
  ASSERT_EQ(test::run_ckpt({"convert", fb::fixture("fb/tiny_llama_v0.bin"), dir, "--to", "ttml-flatbuffer"}).exit_code,
            0);
  auto a = test::run_ckpt({"hash", "--values", "--json", dir, "--vocab-size", "24"});
  auto b = test::run_ckpt({"hash", "--values", "--json", fb::fixture("fb/tiny_llama_v0.bin")});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const json ja = json::parse(a.out), jb = json::parse(b.out);
  std::map<std::string, std::string> ha, hb;
  for (const auto& t : ja["files"][0]["tensors"]) ha[t["name"]] = t["hash"];
  for (const auto& t : jb["files"][0]["tensors"]) hb[t["name"]] = t["hash"];
  for (const char* name :
       {"layers.0.attention.wk.weight", "layers.1.feed_forward.w2.weight", "norm.weight", "output.weight"})
    EXPECT_EQ(ha[name], hb[name]) << name;
  // The model hash covers every weight in canonical order (RoPE tables aside).
  EXPECT_EQ(ja["files"][0]["model"], jb["files"][0]["model"]);
}

TEST(FbCli, DiffComparesTiledAndRowMajorByValue) {
  // The same 20 x 48 values, tiled (with padding) in one file and row-major in the other.
  const auto tiled = test::read_file(fb::fixture("fb/tensorbin/bfloat16_tile_20x48.tensorbin"));
  auto cp = test::open_bytes(tiled);
  const auto v = fb::values(*cp, cp->tensors[0]);
  std::vector<uint8_t> rm;
  for (float x : v) {
    const uint16_t h = ttml::to_bf16_bits(x);
    rm.push_back(uint8_t(h)), rm.push_back(uint8_t(h >> 8));
  }
  ttml::TensorbinSpec spec;
  spec.shape = {1, 1, 20, 48};
  spec.tile = false;
  spec.shards = {{{0, 0}, 0, rm.size()}};
  // Tensors are named after their file: the same name in two folders.
  std::filesystem::create_directories(test::temp_dir() + "/tiled");
  std::filesystem::create_directories(test::temp_dir() + "/row_major");
  const std::string a = test::write_temp("tiled/t.tensorbin", tiled);
  const std::string b = test::write_temp("row_major/t.tensorbin", ttml::build_tensorbin(spec, rm));
  auto r = test::run_ckpt({"diff", a, b});
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

// Two folders holding t.tensorbin: a correct tiled file, and the same bytes under the
// other layout label.
std::pair<std::string, std::string> mislabelled_pair(const std::string& name, bool tiled_bytes) {
  std::vector<float> v(64 * 96);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(int(i % 97) - 48) / 8;
  std::vector<uint8_t> tiles = test::fb::tilize_bf16(v, 64, 96), rm;
  for (float x : v) {
    const uint16_t h = ttml::to_bf16_bits(x);
    rm.push_back(uint8_t(h)), rm.push_back(uint8_t(h >> 8));
  }
  auto file = [&](bool tile, const std::vector<uint8_t>& data) {
    ttml::TensorbinSpec spec;
    spec.shape = {1, 1, 64, 96};
    spec.tile = tile;
    spec.shards = {{{0, 0}, 0, data.size()}};
    return ttml::build_tensorbin(spec, data);
  };
  const std::string a = test::temp_dir() + "/" + name + "_a", b = test::temp_dir() + "/" + name + "_b";
  std::filesystem::create_directories(a);
  std::filesystem::create_directories(b);
  test::write_temp(name + "_a/t.tensorbin", file(true, tiles));
  // Tiled bytes labelled ROW_MAJOR, or row-major bytes labelled TILE.
  test::write_temp(name + "_b/t.tensorbin", tiled_bytes ? file(false, tiles) : file(true, rm));
  return {a + "/t.tensorbin", b + "/t.tensorbin"};
}

TEST(FbCli, DiffDiagnosesATensorWithTheWrongLayoutLabel) {
  for (bool tiled_bytes : {true, false}) {
    const auto [a, b] = mislabelled_pair(tiled_bytes ? "rm_label" : "tile_label", tiled_bytes);
    auto r = test::run_ckpt({"diff", a, b, "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    const json d = json::parse(r.out);
    bool seen = false;
    for (const auto& t : d["tensors"]) {
      if (!t.contains("diagnosis")) continue;
      seen = true;
      // Tiled bytes read as row-major: B is A tilized; row-major bytes read as tiles: A's
      // data is B's in tile order (diff's tile diagnoses, tt-metal's 32x32 of 16x16 faces).
      EXPECT_EQ(t["diagnosis"]["kind"], tiled_bytes ? "tilized" : "untilized") << t.dump();
      EXPECT_EQ(t["diagnosis"]["tile"], 32) << t.dump();
      EXPECT_EQ(t["diagnosis"]["face"], 16) << t.dump();
    }
    EXPECT_TRUE(seen) << r.out;
  }
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

TEST(FbCli, DiffAcrossFolderTarMsgpackAndLlama2c) {
  const std::string v0 = test::fb::fixture("fb/tiny_llama_v0.bin"), dir = test::temp_dir() + "/diff_fb";
  std::filesystem::remove_all(dir);
  ASSERT_EQ(test::run_ckpt({"convert", v0, dir, "--to", "ttml-flatbuffer"}).exit_code, 0);
  ASSERT_EQ(test::run_ckpt({"convert", v0, dir + ".tar", "--to", "ttml-tar"}).exit_code, 0);
  ASSERT_EQ(test::run_ckpt({"convert", v0, dir + ".msgpack", "--to", "ttml-msgpack"}).exit_code, 0);
  // The tt-train files hold the same model: equal (the padding rows are zeros in all three).
  EXPECT_EQ(test::run_ckpt({"diff", dir, dir + ".tar"}).exit_code, 0);
  EXPECT_EQ(test::run_ckpt({"diff", dir, dir + ".msgpack"}).exit_code, 0);
  // Against the llama2.c file: equal, the padded vocabulary diagnosed (and v0's RoPE
  // tables, which tt-train does not store, not compared).
  auto r = test::run_ckpt({"diff", dir, v0, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const json d = json::parse(r.out);
  size_t padded = 0;
  for (const auto& t : d["tensors"]) {
    if (t["name"] == "freqs_cos" || t["name"] == "freqs_sin") continue;
    EXPECT_EQ(t["status"], "equal") << t.dump();
    if (t["name"] == "tok_embeddings.weight" || t["name"] == "output.weight") {
      EXPECT_EQ(t["diagnosis"]["kind"], "padded") << t.dump();
      ++padded;
    }
  }
  EXPECT_EQ(padded, 2u);
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

// llama_export.py's --template writes its msgpack only: refused for the folder and the
// tar, and nothing is written.
TEST(FbCli, TemplateIsRefusedForTheFolderAndTheTar) {
  const std::string v0 = test::fb::fixture("fb/tiny_llama_v0.bin");
  for (const std::string to : {"ttml-flatbuffer", "ttml-tar"}) {
    const std::string out = test::temp_dir() + "/template_" + to;
    std::filesystem::remove_all(out);
    auto r = test::run_ckpt({"convert", v0, out, "--to", to, "--template", test::fb::fixture("tiny_llama.msgpack")});
    EXPECT_EQ(r.exit_code, 2) << to;
    EXPECT_NE(r.err.find("--template writes llama_export.py's msgpack: --to ttml-msgpack"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << to;
  }
}

}  // namespace
}  // namespace ckpt
