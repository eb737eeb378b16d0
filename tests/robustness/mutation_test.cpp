// Mutation campaign over every fixture: hostile values in each header field, bit flips,
// truncation at every tensor boundary and one byte either side, appended bytes. Each
// mutant goes through the same code paths as the commands (in-process, so thousands run
// in seconds, and under the sanitizer build) and a sample through the real binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "ckpt/diff.hpp"
#include "ckpt/inspect_report.hpp"
#include "ckpt/validate.hpp"
#include "diff_json.hpp"
#include "diff_text.hpp"
#include "fixture_set.hpp"
#include "inspect_json.hpp"
#include "inspect_text.hpp"
#include "llama2c/layout.hpp"
#include "test_support.hpp"
#include "validate_render.hpp"

namespace ckpt {
namespace {

struct Mutant {
  std::string what;
  std::vector<uint8_t> bytes;
};

std::vector<Mutant> mutants_of(const std::string& name, const std::vector<uint8_t>& base) {
  std::vector<Mutant> out;
  auto cp = test::open_bytes(base);
  const int32_t hostile[] = {0, -1, 1, 3, 7, 64, 1 << 30, 0x7fffffff, int32_t(0x80000000), -32000};
  if (cp) {
    for (const auto& h : cp->header) {
      for (int32_t v : hostile) {
        auto b = base;
        if (h.size == 1)
          b[h.offset] = uint8_t(v);
        else
          test::put_i32(b, h.offset, v);
        out.push_back({name + " " + h.name + "=" + std::to_string(v), std::move(b)});
      }
    }
    for (const auto& t : cp->tensors)
      for (uint64_t edge : {t.place.offset, t.place.offset + t.place.nbytes, t.place.scale_offset})
        for (int d : {-1, 0, 1})
          if (edge + d > 0 && edge + d < base.size())
            out.push_back({name + " cut at " + std::to_string(edge + d),
                           std::vector<uint8_t>(base.begin(), base.begin() + int64_t(edge + d))});
  }
  std::mt19937 rng(std::hash<std::string>{}(name));
  for (int i = 0; i < 60; ++i) {
    auto b = base;
    const int flips = 1 + int(rng() % 8);
    // Half the flips land in the first 64 bytes, where headers live.
    for (int k = 0; k < flips; ++k) {
      const size_t pos = (rng() % 2) ? rng() % std::min<size_t>(64, b.size()) : rng() % b.size();
      b[pos] ^= uint8_t(1u << (rng() % 8));
    }
    out.push_back({name + " bitflip #" + std::to_string(i), std::move(b)});
  }
  for (size_t extra : {1u, 3u, 4u, 4096u}) {
    auto b = base;
    b.resize(b.size() + extra, 0x5a);
    out.push_back({name + " +" + std::to_string(extra) + " bytes", std::move(b)});
  }
  for (size_t keep : {0u, 1u, 4u, 27u, 28u, 29u, 255u, 256u, 257u})
    if (keep < base.size())
      out.push_back({name + " first " + std::to_string(keep) + " bytes",
                     std::vector<uint8_t>(base.begin(), base.begin() + int64_t(keep))});
  return out;
}

TEST(Mutation, InspectCopesWithThousandsOfMutants) {
  size_t total = 0, parsed = 0;
  for (const auto& [name, base] : fixtures::fixture_files()) {
    for (auto& m : mutants_of(name, base)) {
      ++total;
      MemorySource src(m.bytes, m.what);
      auto cp = open_checkpoint(src);
      if (!cp) {
        EXPECT_FALSE(cp.error().message.empty()) << m.what;
        continue;
      }
      ++parsed;
      InspectOptions opt;
      opt.stats = true;
      opt.threads = 1;
      opt.at = m.bytes.size() / 3;
      auto rep = build_inspect_report(std::move(*cp), opt);
      ASSERT_TRUE(rep) << m.what;
      const std::string dumped = cli::inspect_json(*rep).dump();
      EXPECT_TRUE(nlohmann::json::accept(dumped)) << m.what;
      EXPECT_FALSE(cli::inspect_text(*rep).empty());
    }
  }
  EXPECT_GT(total, 3000u);
  EXPECT_GT(parsed, total / 2);
}

// The same mutants through validate (with the data scan) and diff against the unmutated
// fixture, rendered as JSON, text and JUnit like the commands do.
TEST(Mutation, ValidateAndDiffCopeWithThousandsOfMutants) {
  size_t total = 0;
  for (const auto& [name, base] : fixtures::fixture_files()) {
    MemorySource a(base, name);
    auto ca = open_checkpoint(a);
    ASSERT_TRUE(ca) << name;
    for (auto& m : mutants_of(name, base)) {
      ++total;
      MemorySource b(m.bytes, m.what);
      cli::ValidateRun run;
      run.options.threads = 1;
      run.files.push_back(validate_source(b, run.options));
      EXPECT_TRUE(nlohmann::json::accept(cli::validate_json(run).dump())) << m.what;
      EXPECT_FALSE(cli::validate_text(run).empty());
      EXPECT_FALSE(cli::validate_junit(run).empty());
      auto cb = open_checkpoint(b);
      if (!cb) continue;  // validate may still rescue it (a damaged ak42 magic): checked above
      DiffOptions opt;
      opt.threads = 1;
      opt.max_report = 3;
      auto d = diff_checkpoints(*ca, *cb, opt);
      ASSERT_TRUE(d) << m.what << ": " << d.error().message;
      EXPECT_TRUE(nlohmann::json::accept(cli::diff_json(*d).dump())) << m.what;
      auto bd = diff_bytes(*ca, *cb, 3);
      ASSERT_TRUE(bd) << m.what;
    }
  }
  EXPECT_GT(total, 3000u);
}

TEST(Mutation, CliSampleExitsZeroOneOrTwoWithValidJson) {
  int runs = 0;
  for (const auto& [name, base] : fixtures::fixture_files()) {
    auto all = mutants_of(name, base);
    for (size_t i = 0; i < all.size(); i += 37) {  // a spread-out sample per fixture
      const std::string path = test::write_temp("mutant.bin", all[i].bytes);
      auto r = test::run_ckpt({"inspect", "--json", "--stats", path});
      ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 2) << all[i].what << ": " << r.exit_code << " " << r.err;
      EXPECT_TRUE(nlohmann::json::accept(r.out)) << all[i].what;  // with --json, always a document
      if (r.exit_code == 2) {
        EXPECT_NE(r.err.find(path), std::string::npos) << all[i].what;
      }
      // validate: 0, 1 or 2 with a JSON verdict; diff against the original: 0, 1 or 2.
      auto v = test::run_ckpt({"validate", "--json", path});
      ASSERT_TRUE(v.exit_code >= 0 && v.exit_code <= 2) << all[i].what << ": " << v.exit_code << " " << v.err;
      EXPECT_TRUE(nlohmann::json::accept(v.out)) << all[i].what;
      const std::string orig = test::write_temp("original.bin", base);
      auto d = test::run_ckpt({"diff", "--json", orig, path});
      ASSERT_TRUE(d.exit_code >= 0 && d.exit_code <= 2) << all[i].what << ": " << d.exit_code << " " << d.err;
      EXPECT_TRUE(nlohmann::json::accept(d.out)) << all[i].what;  // an error document on exit 2
      auto bytes = test::run_ckpt({"diff", "--bytes", "--json", orig, path});
      ASSERT_TRUE(bytes.exit_code >= 0 && bytes.exit_code <= 2) << all[i].what;
      EXPECT_TRUE(nlohmann::json::accept(bytes.out)) << all[i].what;
      auto h = test::run_ckpt({"hash", "--values", "--json", path});
      ASSERT_TRUE(h.exit_code == 0 || h.exit_code == 2) << all[i].what << ": " << h.exit_code << " " << h.err;
      EXPECT_TRUE(nlohmann::json::accept(h.out)) << all[i].what;
      // convert: written completely (exit 0) or refused (exit 2) with nothing left behind.
      const std::string out_dir = test::temp_dir() + "/mutant-convert";
      std::filesystem::remove_all(out_dir);
      std::filesystem::create_directory(out_dir);
      for (const std::string to : {"llama2c-v0", "ttml-msgpack"}) {
        auto c = test::run_ckpt({"convert", path, out_dir + "/out", "--to", to, "--allow-lossy"});
        ASSERT_TRUE(c.exit_code == 0 || c.exit_code == 2) << all[i].what << ": " << c.exit_code << " " << c.err;
        const bool written = std::filesystem::exists(out_dir + "/out");
        EXPECT_EQ(written, c.exit_code == 0) << all[i].what << " --to " << to;
        EXPECT_EQ(std::distance(std::filesystem::directory_iterator(out_dir), {}), written ? 1 : 0) << all[i].what;
        std::filesystem::remove_all(out_dir + "/out");
      }
      ++runs;
    }
  }
  EXPECT_GT(runs, 100);
}

}  // namespace
}  // namespace ckpt
