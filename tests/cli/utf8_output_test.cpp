// JSON and JUnit output stay valid whatever bytes a file's names hold: msgpack keys are
// arbitrary byte strings, and `inspect --json` used to throw on the first invalid one.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "utf8.hpp"

namespace ckpt {
namespace {

using cli::valid_utf8;
const std::string kFFFD = "\xEF\xBF\xBD";

TEST(Utf8, WellFormedTextIsUnchanged) {
  for (const std::string s : {"", "plain ascii", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                              "\xED\x9F\xBF" /* U+D7FF */, "\xF4\x8F\xBF\xBF" /* U+10FFFF */})
    EXPECT_EQ(valid_utf8(s), s);
}

TEST(Utf8, EveryInvalidByteBecomesOneReplacement) {
  EXPECT_EQ(valid_utf8("a\xFF"
                       "b"),
            "a" + kFFFD + "b");
  EXPECT_EQ(valid_utf8("\x80"), kFFFD);                                      // stray continuation
  EXPECT_EQ(valid_utf8("\xC3"), kFFFD);                                      // cut by the end
  EXPECT_EQ(valid_utf8("\xC0\xAF"), kFFFD + kFFFD);                          // overlong '/'
  EXPECT_EQ(valid_utf8("\xE0\x80\xAF"), kFFFD + kFFFD + kFFFD);              // overlong, 3 bytes
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), kFFFD + kFFFD + kFFFD);              // surrogate U+D800
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), kFFFD + kFFFD + kFFFD + kFFFD);  // beyond U+10FFFF
  EXPECT_EQ(valid_utf8("\xE2\x82"
                       "x"),
            kFFFD + kFFFD + "x");
}

// tiny_llama.msgpack with byte 0xFF written into the first key ("llama/..." -> "l\xFFama/...").
std::string fixture_with_invalid_key() {
  auto bytes = test::read_file(test::fixture_path("ttml/tiny_llama.msgpack"));
  const std::string text(bytes.begin(), bytes.end());
  const size_t key = text.find("llama/llama/");
  EXPECT_NE(key, std::string::npos);
  bytes[key + 1] = 0xFF;
  return test::write_temp("invalid-utf8-key.msgpack", bytes);
}

TEST(Utf8Output, InspectJsonOfAnInvalidKeyIsValidJson) {
  const std::string path = fixture_with_invalid_key();
  auto r = test::run_ckpt({"inspect", path, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);  // throws on invalid UTF-8
  bool found = false;
  for (const auto& k : j["msgpack"]["keys"])
    if (k["key"].get<std::string>().rfind("l" + kFFFD + "ama/", 0) == 0) found = true;
  EXPECT_TRUE(found) << r.out.substr(0, 2000);
}

TEST(Utf8Output, EveryJsonCommandAndJunitStayValid) {
  const std::string path = fixture_with_invalid_key();
  const std::string other = test::fixture_path("ttml/tiny_llama.msgpack");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"validate", path, "--json"},
                                               {"hash", path, "--json"},
                                               {"diff", path, other, "--json"},
                                               {"diff", path, other, "--json", "--bytes"}}) {
    auto r = test::run_ckpt(args);
    EXPECT_LE(r.exit_code, 1) << args[0] << ": " << r.err;
    EXPECT_NO_THROW({
      const auto j = nlohmann::json::parse(r.out);
      EXPECT_TRUE(j.is_object());
    }) << args[0];
  }
  const std::string junit = test::temp_dir() + "/invalid-utf8.xml";
  auto r = test::run_ckpt({"validate", path, "--junit", junit});
  EXPECT_LE(r.exit_code, 1) << r.err;
  const auto xml = test::read_file(junit);
  const std::string text(xml.begin(), xml.end());
  EXPECT_EQ(valid_utf8(text), text);
}

}  // namespace
}  // namespace ckpt
