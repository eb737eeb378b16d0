// The commands as functions: each returns an Outcome (verdict, document, stderr lines)
// without printing, so these tests need no process. emit() is the only printer.
#include <gtest/gtest.h>

#include "commands.hpp"
#include "test_support.hpp"

namespace ckpt::cli {
namespace {

TEST(Outcome, WorseVerdictWinsAndMapsToTheExitCode) {
  Outcome o;
  EXPECT_EQ(exit_code(o.verdict), 0);
  o.worsen(Verdict::finding);
  EXPECT_EQ(exit_code(o.verdict), 1);
  o.worsen(Verdict::ok);
  EXPECT_EQ(exit_code(o.verdict), 1);
  o.usage_error("bad");
  EXPECT_EQ(exit_code(o.verdict), 2);
  o.worsen(Verdict::finding);
  EXPECT_EQ(exit_code(o.verdict), 2);
}

TEST(Outcome, ErrorLinesNameFileAndOffset) {
  Outcome o;
  o.error("model.bin", Error{ErrorCode::io_read, "cannot read model.bin at byte 7", 7});
  o.note("quantized");
  ASSERT_EQ(o.lines.size(), 2u);
  EXPECT_EQ(line_text(o.lines[0]), "ckpt: model.bin: cannot read model.bin at byte 7 (at byte 7)");
  EXPECT_EQ(line_text(o.lines[1]), "ckpt: note: quantized");
  const auto errors = o.errors_json();
  ASSERT_EQ(errors.size(), 1u);  // notes are not errors
  EXPECT_EQ(errors[0]["code"], "io.read");
  EXPECT_EQ(errors[0]["file"], "model.bin");
  EXPECT_EQ(errors[0]["offset"], 7);
}

TEST(Commands, InspectRunsInProcess) {
  InspectArgs a;
  a.file = test::fixture_path("gqa-ak42-v2-q8_0.bin");
  a.json = true;
  const Outcome o = run_inspect(a);
  EXPECT_EQ(o.verdict, Verdict::ok);
  ASSERT_TRUE(o.document);
  EXPECT_EQ((*o.document)["format"], "ak42-v2-q8_0");
  EXPECT_TRUE(o.lines.empty());
}

TEST(Commands, UnknownFormatNameIsAUsageError) {
  InspectArgs a;
  a.file = test::fixture_path("gqa-llama2c-v0.bin");
  a.format = "llama9";
  const Outcome o = run_inspect(a);
  EXPECT_EQ(o.verdict, Verdict::cannot_run);
  ASSERT_EQ(o.lines.size(), 1u);
  EXPECT_EQ(o.lines[0].message.rfind("unknown format 'llama9' (known: llama2c-v0, ", 0), 0u) << o.lines[0].message;
  EXPECT_FALSE(o.document);
}

TEST(Commands, DiffVerdictIsAFindingWhenFilesDiffer) {
  DiffArgs a;
  a.a = test::fixture_path("gqa-llama2c-v0.bin");
  a.b = test::fixture_path("gqa-ak42-v1-fp32.bin");
  EXPECT_EQ(run_diff(a).verdict, Verdict::ok);  // same weights, other layout
  a.b = test::fixture_path("untied-llama2c-v0.bin");
  const Outcome o = run_diff(a);
  EXPECT_EQ(o.verdict, Verdict::finding);
  EXPECT_NE(o.text.find("config"), std::string::npos);
}

TEST(Commands, ValidateOfAMissingFileCannotRun) {
  ValidateArgs a;
  a.files = {test::temp_dir() + "/missing.bin", test::fixture_path("gqa-llama2c-v0.bin")};
  const Outcome o = run_validate(a);
  EXPECT_EQ(o.verdict, Verdict::cannot_run);  // 2 wins over the valid second file
  ASSERT_FALSE(o.lines.empty());
  EXPECT_EQ(o.lines[0].code, "io.open");
}

}  // namespace
}  // namespace ckpt::cli
