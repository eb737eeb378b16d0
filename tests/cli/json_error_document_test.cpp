// With --json, stdout holds one JSON document even when a command cannot run (exit 2):
// {"schema", "error": {"code", "file", "message", "offset"}, "errors": [...]}.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace ckpt {
namespace {

using nlohmann::json;

json run_json(const std::vector<std::string>& args, int expected_exit = 2) {
  auto r = test::run_ckpt(args);
  EXPECT_EQ(r.exit_code, expected_exit) << r.err;
  EXPECT_TRUE(json::accept(r.out)) << r.out;
  return json::accept(r.out) ? json::parse(r.out) : json();
}

TEST(JsonErrorDocument, UnopenableFileGivesTheOpenError) {
  const std::string missing = test::temp_dir() + "/no-such-file.bin";
  for (const std::string cmd : {"inspect", "validate", "hash"}) {
    const json j = run_json({cmd, missing, "--json"});
    EXPECT_EQ(j["schema"], "ckpt." + cmd + "/1");
  }
  const json j = run_json({"inspect", missing, "--json"});
  EXPECT_EQ(j["error"]["code"], "io.open");
  EXPECT_NE(j["error"]["message"].get<std::string>().find(missing), std::string::npos);
  EXPECT_EQ(j["errors"].size(), 1u);
  const json d = run_json({"diff", missing, test::fixture_path("gqa-llama2c-v0.bin"), "--json"});
  EXPECT_EQ(d["schema"], "ckpt.diff/1");
  EXPECT_EQ(d["error"]["code"], "io.open");
  // hash keeps its own document and lists the error in it.
  const json h = run_json({"hash", missing, "--json"});
  EXPECT_EQ(h["files"].size(), 0u);
  ASSERT_EQ(h["errors"].size(), 1u);
  EXPECT_EQ(h["errors"][0]["code"], "io.open");
}

TEST(JsonErrorDocument, UnknownFormatNamesTheFileAndTheOffset) {
  // 64 bytes of 0xFF: no magic, not msgpack, no plausible v0 int, not a tokenizer.
  const std::string junk = test::write_temp("junk.bin", std::vector<uint8_t>(64, 0xFF));
  const json d = run_json({"diff", junk, test::fixture_path("gqa-llama2c-v0.bin"), "--json"});
  EXPECT_EQ(d["error"]["code"], "detect.unknown");
  EXPECT_EQ(d["error"]["file"], junk);
  EXPECT_EQ(d["error"]["offset"], 0);
  const json i = run_json({"inspect", junk, "--json"});
  EXPECT_EQ(i["schema"], "ckpt.inspect/1");
  EXPECT_EQ(i["error"]["code"], "detect.unknown");
  EXPECT_EQ(i["error"]["message"],
            "no known format fits: no ak42 magic, not a msgpack map, not a tokenizer, and only 1 of the 7 v0 "
            "header ints are plausible");
}

TEST(JsonErrorDocument, BadOptionsAndNonWeightFiles) {
  const std::string tok = test::fixture_path("tok96.bin");
  const json d = run_json({"diff", tok, tok, "--json"});
  EXPECT_EQ(d["error"]["message"], tok + ": llama2c-tokenizer is not a weight file; compare it with --bytes");
  EXPECT_TRUE(d["error"]["code"].is_null());
  const json v = run_json({"validate", tok, "--expect", "bogus", "--json"});
  EXPECT_EQ(v["schema"], "ckpt.validate/1");
  EXPECT_EQ(v["error"]["message"], "--expect bogus: 'bogus' is not key=value");
  const json h = run_json({"hash", tok, "--algo", "md5", "--json"});
  EXPECT_EQ(h["error"]["message"], "unknown --algo 'md5' (known: xxh64, xxh3-128, sha256)");
}

}  // namespace
}  // namespace ckpt
