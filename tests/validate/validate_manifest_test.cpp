// `ckpt validate --manifest`: tensor hashes against a manifest written by `ckpt hash`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace ckpt {
namespace {

using nlohmann::json;
using test::fixture_path;
using test::run_ckpt;

std::string make_manifest(const std::string& file, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"hash", file};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_ckpt(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return test::write_temp("manifest-" + std::to_string(std::hash<std::string>{}(file + r.out)) + ".txt",
                          std::vector<uint8_t>(r.out.begin(), r.out.end()));
}

json validate_json(const std::vector<std::string>& args, int expect_code) {
  std::vector<std::string> all{"validate", "--json", "--no-scan"};
  all.insert(all.end(), args.begin(), args.end());
  auto r = run_ckpt(all);
  EXPECT_EQ(r.exit_code, expect_code) << r.err;
  return json::parse(r.out)["files"][0];
}

int count_rule(const json& file, const std::string& rule) {
  int n = 0;
  for (const auto& f : file["findings"]) n += f["rule"] == rule;
  return n;
}

TEST(ValidateManifest, RoundTripIsValid) {
  const std::string f = fixture_path("gqa-ak42-v2-q8_0.bin");
  auto file = validate_json({"--manifest", make_manifest(f), f}, 0);
  EXPECT_TRUE(file["valid"].get<bool>());
  EXPECT_EQ(count_rule(file, "manifest.mismatch"), 0);
  EXPECT_EQ(count_rule(file, "manifest.missing"), 0);
  EXPECT_GT(count_rule(file, "manifest.ok"), 0);
}

TEST(ValidateManifest, TensorNotInTheManifestIsUnexpected) {
  // The v1 Q8_0 draft has no classifier; the v2 file of the same model has one.
  auto file = validate_json({"--manifest", make_manifest(fixture_path("untied-ak42-v1-q8_0.bin"), {"--values"}),
                             fixture_path("untied-ak42-v2-q8_0.bin")},
                            1);
  ASSERT_EQ(count_rule(file, "manifest.unexpected"), 1);
  for (const auto& x : file["findings"]) {
    if (x["rule"] == "manifest.unexpected") {
      EXPECT_EQ(x["tensor"], "output.weight");
    }
  }
  EXPECT_EQ(count_rule(file, "manifest.mismatch"), 0);
}

TEST(ValidateManifest, OneChangedTensorIsExactlyOneMismatch) {
  const std::string f = fixture_path("gqa-ak42-v1-fp32.bin");
  const std::string manifest = make_manifest(f, {"--algo", "sha256"});
  auto b = test::read_file(f);
  auto cp = test::open_bytes(b);
  const uint64_t off = cp->find("layers.1.feed_forward.w2.weight")->place.offset + 4 * 77;
  test::put_f32(b, off, 3.0f);
  auto file = validate_json({"--manifest", manifest, test::write_temp("changed.bin", b)}, 1);
  ASSERT_EQ(count_rule(file, "manifest.mismatch"), 1);
  for (const auto& x : file["findings"])
    if (x["rule"] == "manifest.mismatch") {
      EXPECT_EQ(x["tensor"], "layers.1.feed_forward.w2.weight");
      EXPECT_EQ(x["offset"], cp->find("layers.1.feed_forward.w2.weight")->place.offset);
    }
}

TEST(ValidateManifest, HeaderOnlyChangeIsAModelMismatch) {
  const std::string f = fixture_path("gqa-ak42-v1-fp32.bin");
  const std::string manifest = make_manifest(f);
  auto b = test::read_file(f);
  b[200] = 1;  // header padding: every tensor is unchanged, the file is not
  auto file = validate_json({"--manifest", manifest, test::write_temp("padded.bin", b)}, 1);
  ASSERT_EQ(count_rule(file, "manifest.mismatch"), 1);
  for (const auto& x : file["findings"]) {
    if (x["rule"] == "manifest.mismatch") {
      EXPECT_TRUE(x["tensor"].is_null());
    }
  }
}

TEST(ValidateManifest, ValuesManifestAcrossLayoutsAndMissingTensors) {
  // Same weights, other fp32 layout: every tensor matches (v0's RoPE tables are derived).
  auto same = validate_json({"--manifest", make_manifest(fixture_path("untied-ak42-v1-fp32.bin"), {"--values"}),
                             fixture_path("untied-llama2c-v0.bin")},
                            0);
  EXPECT_EQ(count_rule(same, "manifest.unexpected"), 0);
  EXPECT_GT(count_rule(same, "manifest.ok") + (same.contains("suppressed") ? 1 : 0), 0);
  // The v1 Q8_0 draft drops the untied classifier: a values manifest of the v2 file
  // lists output.weight, which the draft lacks.
  auto lost = validate_json({"--manifest", make_manifest(fixture_path("untied-ak42-v2-q8_0.bin"), {"--values"}),
                             fixture_path("untied-ak42-v1-q8_0.bin")},
                            1);
  EXPECT_EQ(count_rule(lost, "manifest.missing"), 1);
  EXPECT_EQ(count_rule(lost, "manifest.mismatch"), 0);
  // Stored mode, interleaved against scales-last: each tensor's int8 data + scales are the
  // same bytes, but the files are not: only the model line differs.
  auto other = validate_json({"--manifest", make_manifest(fixture_path("gqa-ak42-v2-q8_0.bin")),
                              fixture_path("gqa-ak42-v2-q8_0-scales-last.bin")},
                             1);
  ASSERT_EQ(count_rule(other, "manifest.mismatch"), 1);
  for (const auto& x : other["findings"]) {
    if (x["rule"] == "manifest.mismatch") {
      EXPECT_TRUE(x["tensor"].is_null());
    }
  }
}

TEST(ValidateManifest, BadManifestCannotRun) {
  const std::string bad = test::write_temp("bad-manifest.txt", {'x', 'x', 'h', ' ', '1', '\n'});
  auto r = run_ckpt({"validate", "--manifest", bad, fixture_path("gqa-llama2c-v0.bin")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("line 1"), std::string::npos) << r.err;
  EXPECT_EQ(run_ckpt({"validate", "--manifest", "/nonexistent", fixture_path("gqa-llama2c-v0.bin")}).exit_code, 2);
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

// Nothing ckpt writes may replace an input: --junit naming a checked file is refused.
TEST(ValidateJunit, RefusesToOverwriteAnInput) {
  const std::string model =
      test::write_temp("junit-model.bin", test::read_file(test::fixture_path("gqa-llama2c-v0.bin")));
  const auto before = test::read_file(model);
  auto r = test::run_ckpt({"validate", "--junit", model, model});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("refusing to overwrite the input"), std::string::npos) << r.err;
  EXPECT_TRUE(test::read_file(model) == before);
}

}  // namespace
}  // namespace ckpt
