// The progress line of long conversions, and its silence when stderr is not a terminal.
#include "progress.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.hpp"

namespace ckpt::cli {
namespace {

TEST(Progress, LineShowsBytesRateAndTimeLeft) {
  EXPECT_EQ(Progress::line(500'000'000, 1'000'000'000, 1.0),
            "ckpt: 500.0 MB written of ~1.0 GB, 500.0 MB/s, ~1 s left");
  EXPECT_EQ(Progress::line(2'500, 0, 0.5), "ckpt: 2.5 KB written, 5.0 KB/s");
  EXPECT_EQ(Progress::line(0, 0, 0), "ckpt: 0 B written");
}

TEST(Progress, NothingExtraWhenStderrIsNotATerminal) {
  const std::string out = test::temp_dir() + "/progress.bin";
  std::filesystem::remove(out);
  auto r = test::run_ckpt({"convert", test::fixture_path("gqa-llama2c-v0.bin"), out, "--to", "ak42-v1-fp32"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "ckpt: wrote " + out + " (ak42-v1-fp32, 388608 bytes)\n");
}

}  // namespace
}  // namespace ckpt::cli
