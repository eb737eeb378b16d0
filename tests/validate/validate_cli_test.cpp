// `ckpt validate` on the command line: exit codes, JSON parsed back, JUnit written
// atomically, --list-rules, and every flag doing what README.md says.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ckpt/rule_catalogue.hpp"
#include "llama2c/formats.hpp"
#include "validate_support.hpp"

namespace ckpt {
namespace {

using namespace test;
using nlohmann::json;

std::string temp_file(const std::string& name, const std::vector<uint8_t>& b) { return write_temp(name, b); }

std::string valid_v0() { return temp_file("cli_valid_v0.bin", write_bytes(llama2c::v0, gqa_config())); }
std::string truncated_v0() {
  auto b = write_bytes(llama2c::v0, gqa_config());
  b.resize(b.size() - 100);
  return temp_file("cli_truncated_v0.bin", b);
}
std::string warning_v2() {  // hidden_dim 172 % 64: quant.group_hidden, a warning only
  return temp_file("cli_warning_v2.bin", write_bytes(llama2c::ak42_v2_q8_0, gqa_config()));
}

json parse(const std::string& s) { return json::parse(s); }

TEST(ValidateCli, ExitCodesZeroOneTwo) {
  EXPECT_EQ(run_ckpt({"validate", valid_v0()}).exit_code, 0);
  const RunResult bad = run_ckpt({"validate", truncated_v0()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("size.truncated"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("INVALID"), std::string::npos) << bad.out;
  // Could not run: missing file, empty file, random bytes, no file at all.
  EXPECT_EQ(run_ckpt({"validate", temp_dir() + "/does-not-exist.bin"}).exit_code, 2);
  EXPECT_EQ(run_ckpt({"validate", temp_file("cli_empty.bin", {})}).exit_code, 2);
  std::vector<uint8_t> noise(5000);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = uint8_t((i * 2654435761u) >> 13);
  EXPECT_EQ(run_ckpt({"validate", temp_file("cli_noise.bin", noise)}).exit_code, 2);
  EXPECT_EQ(run_ckpt({"validate"}).exit_code, 2);
  // 2 wins over 1 over 0, and every file still gets its verdict.
  const RunResult mixed = run_ckpt({"validate", valid_v0(), truncated_v0(), temp_dir() + "/missing.bin"});
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_NE(mixed.out.find("3 files: 1 valid, 1 invalid, 1 not checked"), std::string::npos) << mixed.out;
}

TEST(ValidateCli, UsageErrorsExitTwo) {
  const std::string f = valid_v0();
  EXPECT_EQ(run_ckpt({"validate", f, "--expect", "dims=3"}).exit_code, 2);
  EXPECT_EQ(run_ckpt({"validate", f, "--expect", "format=nope"}).exit_code, 2);
  EXPECT_EQ(run_ckpt({"validate", f, "--require-alignment", "3"}).exit_code, 2);
  EXPECT_EQ(run_ckpt({"validate", f, "--require-alignment", "8192"}).exit_code, 2);
  EXPECT_EQ(run_ckpt({"validate", f, "--format", "gguf"}).exit_code, 2);
  EXPECT_EQ(run_ckpt({"validate", f, "--tokenizer", temp_dir() + "/no-tokenizer.bin"}).exit_code, 2);
  EXPECT_EQ(run_ckpt({"validate", f, "--junit", temp_dir() + "/no/such/dir/out.xml"}).exit_code, 2);
}

TEST(ValidateCli, StrictMakesWarningsFail) {
  const std::string f = warning_v2();
  const RunResult lax = run_ckpt({"validate", f});
  EXPECT_EQ(lax.exit_code, 0) << lax.out;
  EXPECT_NE(lax.out.find("quant.group_hidden"), std::string::npos) << lax.out;
  EXPECT_EQ(run_ckpt({"validate", "--strict", f}).exit_code, 1);
}

TEST(ValidateCli, JsonHasTheDocumentedShape) {
  const RunResult r = run_ckpt({"validate", "--json", valid_v0(), truncated_v0()});
  EXPECT_EQ(r.exit_code, 1);
  const json j = parse(r.out);
  EXPECT_EQ(j["schema"], "ckpt.validate/1");
  ASSERT_EQ(j["files"].size(), 2u);
  const json& ok = j["files"][0];
  EXPECT_EQ(ok["format"], "llama2c-v0");
  EXPECT_EQ(ok["valid"], true);
  EXPECT_TRUE(ok["findings"].empty());
  const json& bad = j["files"][1];
  EXPECT_EQ(bad["valid"], false);
  ASSERT_FALSE(bad["findings"].empty());
  const json& f = bad["findings"][0];
  for (const char* key : {"rule", "severity", "message", "offset", "tensor"}) EXPECT_TRUE(f.contains(key)) << key;
  EXPECT_EQ(f["rule"], "size.truncated");
  EXPECT_EQ(f["severity"], "error");
  const uint64_t size = write_bytes(llama2c::v0, gqa_config()).size() - 100;
  EXPECT_EQ(f["offset"], size);
  EXPECT_EQ(f["tensor"], "freqs_sin");
}

TEST(ValidateCli, JsonNullsForMissingOffsetAndTensor) {
  const RunResult r = run_ckpt({"validate", "--json", "--expect", "format=ak42-v1-fp32", valid_v0()});
  EXPECT_EQ(r.exit_code, 1);
  const json f = parse(r.out)["files"][0]["findings"][0];
  EXPECT_EQ(f["rule"], "expect.format");
  EXPECT_TRUE(f["offset"].is_null());
  EXPECT_TRUE(f["tensor"].is_null());
  EXPECT_EQ(f["field"], "format");
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t count_of(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(ValidateCli, JunitOneTestcasePerFileAndFamilyWrittenAtomically) {
  const std::string dir = temp_dir() + "/junit";
  ::mkdir(dir.c_str(), 0755);
  const std::string out = dir + "/report.xml";
  const RunResult r = run_ckpt({"validate", "--junit", out, "--no-scan", valid_v0(), truncated_v0()});
  EXPECT_EQ(r.exit_code, 1);
  const std::string xml = slurp(out);
  EXPECT_EQ(xml.rfind("<?xml", 0), 0u) << xml;
  EXPECT_EQ(count_of(xml, "<testsuite "), 2u);
  // v0: header, config, align, size, data (skipped under --no-scan) for each file.
  EXPECT_EQ(count_of(xml, "<testcase "), 10u) << xml;
  EXPECT_EQ(count_of(xml, "<skipped"), 2u) << xml;
  EXPECT_EQ(count_of(xml, "<failure type=\"size.truncated\""), 1u) << xml;
  EXPECT_NE(xml.find("<testsuites name=\"ckpt validate\" tests=\"10\" failures=\"1\" errors=\"0\" skipped=\"2\">"),
            std::string::npos)
      << xml;
  // Nothing but the report in the folder: the temporary file was renamed over it.
  size_t entries = 0;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d)) entries += e->d_name[0] != '.';
    ::closedir(d);
  }
  EXPECT_EQ(entries, 1u);
}

TEST(ValidateCli, JunitWarningsFailOnlyUnderStrictAndUnreadableFilesAreErrors) {
  const std::string out = temp_dir() + "/strict.xml";
  EXPECT_EQ(run_ckpt({"validate", "--junit", out, warning_v2()}).exit_code, 0);
  EXPECT_EQ(count_of(slurp(out), "<failure"), 0u);
  EXPECT_NE(slurp(out).find("quant.group_hidden"), std::string::npos);  // in system-out
  EXPECT_EQ(run_ckpt({"validate", "--strict", "--junit", out, warning_v2()}).exit_code, 1);
  EXPECT_EQ(count_of(slurp(out), "<failure type=\"quant.group_hidden\""), 1u) << slurp(out);
  EXPECT_EQ(run_ckpt({"validate", "--junit", out, temp_dir() + "/nothing-here.bin"}).exit_code, 2);
  EXPECT_EQ(count_of(slurp(out), "<error type=\"io.open\""), 1u) << slurp(out);
}

TEST(ValidateCli, ListRulesPrintsTheWholeCatalogue) {
  const RunResult text = run_ckpt({"validate", "--list-rules"});
  EXPECT_EQ(text.exit_code, 0);
  for (const auto& r : rule_catalogue()) EXPECT_NE(text.out.find(std::string(r.id)), std::string::npos) << r.id;
  const RunResult j = run_ckpt({"validate", "--list-rules", "--json"});
  EXPECT_EQ(j.exit_code, 0);
  const json rules = parse(j.out)["rules"];
  ASSERT_EQ(rules.size(), rule_catalogue().size());
  EXPECT_EQ(rules[0]["id"], std::string(rule_catalogue()[0].id));
  for (const auto& r : rules)
    for (const char* key : {"id", "family", "severity", "what", "why", "needs_scan"}) EXPECT_TRUE(r.contains(key));
}

TEST(ValidateCli, FormatForcesALayout) {
  const std::string f = temp_file("cli_v2.bin", write_bytes(llama2c::ak42_v2_q8_0, untied_config()));
  EXPECT_EQ(run_ckpt({"validate", f}).exit_code, 0);
  const RunResult r = run_ckpt({"validate", "--json", "--format", "ak42-v2-q8_0-scales-last", f});
  EXPECT_EQ(r.exit_code, 1);
  const json file = parse(r.out)["files"][0];
  EXPECT_EQ(file["format"], "ak42-v2-q8_0-scales-last");
  bool order_warning = false;
  for (const auto& x : file["findings"]) order_warning |= x["rule"] == "layout.q8_order" && x["severity"] == "warning";
  EXPECT_TRUE(order_warning) << r.out;
}

TEST(ValidateCli, ExpectPinsConfigAndFormat) {
  const std::string f = valid_v0();
  EXPECT_EQ(run_ckpt({"validate", f, "--expect", "dim=64,n_layers=2,format=llama2c-v0", "--expect", "vocab_size=96"})
                .exit_code,
            0);
  const RunResult r = run_ckpt({"validate", "--json", f, "--expect", "dim=288"});
  EXPECT_EQ(r.exit_code, 1);
  const json x = parse(r.out)["files"][0]["findings"][0];
  EXPECT_EQ(x["rule"], "expect.config");
  EXPECT_EQ(x["offset"], 0);
  EXPECT_EQ(x["field"], "dim");
}

TEST(ValidateCli, TokenizerIsCheckedAndCountedAgainstTheModel) {
  const std::string model = valid_v0();
  const std::string good = temp_file("cli_tok96.bin", tokenizer_bytes(96));
  const std::string bad = temp_file("cli_tok95.bin", tokenizer_bytes(95));
  const RunResult ok = run_ckpt({"validate", "--json", model, "--tokenizer", good});
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  const json files = parse(ok.out)["files"];
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[1]["format"], "llama2c-tokenizer");
  const RunResult no = run_ckpt({"validate", "--json", model, "--tokenizer", bad});
  EXPECT_EQ(no.exit_code, 1);
  const json x = parse(no.out)["files"][0]["findings"][0];
  EXPECT_EQ(x["rule"], "tokenizer.vocab");
  EXPECT_EQ(x["offset"], 20);
}

TEST(ValidateCli, NoScanSkipsTheDataOnly) {
  auto b = write_bytes(llama2c::v0, gqa_config());
  put_f32(b, place_of(llama2c::v0, gqa_config(), "norm.weight").offset, NAN);
  const std::string f = temp_file("cli_nan.bin", b);
  EXPECT_EQ(run_ckpt({"validate", f}).exit_code, 1);
  EXPECT_EQ(run_ckpt({"validate", "--no-scan", f}).exit_code, 0);
  EXPECT_EQ(run_ckpt({"validate", "--no-scan", truncated_v0()}).exit_code, 1);
}

TEST(ValidateCli, RequireAlignment) {
  const std::string v0 = valid_v0();
  EXPECT_EQ(run_ckpt({"validate", v0, "--require-alignment", "4"}).exit_code, 0);
  EXPECT_EQ(run_ckpt({"validate", v0, "--require-alignment", "8"}).exit_code, 1);
  const std::string v1 = temp_file("cli_v1.bin", write_bytes(llama2c::ak42_v1_fp32, gqa_config()));
  EXPECT_EQ(run_ckpt({"validate", v1, "--require-alignment", "256"}).exit_code, 0);
}

TEST(ValidateCli, RealFiles) {
  const std::string model = real_file("stories260K.bin"), tok = real_file("tok512.bin"),
                    big_tok = real_file("tokenizer.bin");
  if (model.empty()) GTEST_SKIP() << "shared/real is absent";
  EXPECT_EQ(run_ckpt({"validate", "--strict", model, "--tokenizer", tok}).exit_code, 0);
  EXPECT_EQ(run_ckpt({"validate", model, "--tokenizer", big_tok}).exit_code, 1);
}

TEST(ValidateDocs, EveryRuleAndFlagIsDocumented) {
  const std::string doc = slurp(std::string(CKPT_SOURCE_DIR) + "/README.md");
  ASSERT_FALSE(doc.empty());
  for (const auto& r : rule_catalogue()) {
    std::string quoted = "`";
    quoted.append(r.id).push_back('`');
    EXPECT_NE(doc.find(quoted), std::string::npos) << r.id;
  }
  for (const char* flag : {"--json", "--junit", "--strict", "--format", "--expect", "--tokenizer", "--no-scan",
                           "--require-alignment", "--list-rules", "--threads", "--manifest"})
    EXPECT_NE(doc.find(flag), std::string::npos) << flag;
}

}  // namespace
}  // namespace ckpt
