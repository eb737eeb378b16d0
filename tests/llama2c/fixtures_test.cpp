// The committed fixtures are exactly what the generator writes today, and an
// independent numpy writer (fixtures/crosscheck_writer.py, from FORMATS.md alone)
// produces the same bytes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "ckpt/le.hpp"
#include "fixture_set.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

TEST(Fixtures, CommittedBytesEqualRegenerated) {
  const auto files = fixtures::fixture_files();
  ASSERT_EQ(files.size(), 12u);
  for (const auto& [name, bytes] : files) {
    const auto committed = test::read_file(test::fixture_path(name));
    EXPECT_EQ(committed.size(), bytes.size()) << name;
    EXPECT_TRUE(committed == bytes) << name << " is stale: rebuild with ckpt_make_fixtures fixtures/";
  }
}

TEST(Fixtures, EveryFixtureIsDetectedAsItsFormat) {
  for (const auto& [name, bytes] : fixtures::fixture_files()) {
    auto cp = test::open_bytes(bytes);
    ASSERT_TRUE(cp) << name;
    const std::string expected = name.rfind("tok", 0) == 0
                                     ? "llama2c-tokenizer"
                                     : name.substr(name.find('-') + 1, name.size() - name.find('-') - 5);
    EXPECT_EQ(format_name(cp->format), expected) << name;
    EXPECT_TRUE(cp->findings.empty() || !cp->has_errors()) << name;
    if (cp->expected_size) {
      EXPECT_EQ(*cp->expected_size, bytes.size()) << name;
    }
  }
}

// Compares the C++ writer's bytes with the numpy writer's: everything exact except the
// RoPE tables of v0, which may differ by the last bit of a cos/sin (within 1e-6).
TEST(Fixtures, IndependentNumpyWriterProducesTheSameBytes) {
  const std::string out = test::temp_dir() + "/crosscheck";
  const std::string cmd = "mkdir -p " + out + " && /usr/bin/python3 " + std::string(CKPT_SOURCE_DIR) +
                          "/fixtures/crosscheck_writer.py " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "needs /usr/bin/python3 with python3-numpy (scripts/install-deps.sh)";
  int compared = 0;
  for (const auto& [name, ours] : fixtures::fixture_files()) {
    if (name.rfind("tok", 0) == 0) continue;
    const auto theirs = test::read_file(out + "/" + name);
    ASSERT_EQ(theirs.size(), ours.size()) << name;
    auto cp = test::open_bytes(ours);
    ASSERT_TRUE(cp);
    uint64_t rope_begin = ours.size(), rope_end = ours.size();
    if (const TensorInfo* c = cp->find("freqs_cos")) {
      rope_begin = c->place.offset;
      rope_end = cp->find("freqs_sin")->place.offset + cp->find("freqs_sin")->place.nbytes;
    }
    for (uint64_t i = 0; i < ours.size(); ++i) {
      if (i >= rope_begin && i < rope_end) continue;
      ASSERT_EQ(ours[i], theirs[i]) << name << " differs at byte " << i;
    }
    for (uint64_t i = rope_begin; i < rope_end; i += 4)
      ASSERT_NEAR(load_f32(&ours[i]), load_f32(&theirs[i]), 1e-6) << name << " RoPE at byte " << i;
    ++compared;
  }
  EXPECT_EQ(compared, 10);
}

}  // namespace
}  // namespace ckpt
