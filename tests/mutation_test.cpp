// Mutation campaign over every fixture: hostile values in each header field, bit flips,
// truncation at every tensor boundary and one byte either side, appended bytes. Each
// mutant goes through the same code paths as the commands (in-process, so thousands run
// in seconds, and under the sanitizer build) and a sample through the real binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "ckpt/inspect_report.hpp"
#include "ckpt/layout.hpp"
#include "fixture_set.hpp"
#include "inspect_json.hpp"
#include "inspect_text.hpp"
#include "test_support.hpp"

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
        if (h.size == 1) b[h.offset] = uint8_t(v);
        else test::put_i32(b, h.offset, v);
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
    if (keep < base.size()) out.push_back({name + " first " + std::to_string(keep) + " bytes",
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
        EXPECT_FALSE(cp.error().code.empty()) << m.what;
        continue;
      }
      ++parsed;
      InspectOptions opt;
      opt.stats = true;
      opt.threads = 1;
      opt.at = m.bytes.size() / 3;
      auto rep = build_inspect_report(src, std::move(*cp), opt);
      ASSERT_TRUE(rep) << m.what;
      const std::string dumped = cli::inspect_json(*rep).dump();
      EXPECT_TRUE(nlohmann::json::accept(dumped)) << m.what;
      EXPECT_FALSE(cli::inspect_text(*rep).empty());
    }
  }
  EXPECT_GT(total, 3000u);
  EXPECT_GT(parsed, total / 2);
}

TEST(Mutation, CliSampleExitsZeroOrTwoWithValidJson) {
  int runs = 0;
  for (const auto& [name, base] : fixtures::fixture_files()) {
    auto all = mutants_of(name, base);
    for (size_t i = 0; i < all.size(); i += 37) {  // a spread-out sample per fixture
      const std::string path = test::write_temp("mutant.bin", all[i].bytes);
      auto r = test::run_ckpt({"inspect", "--json", "--stats", path});
      ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 2) << all[i].what << ": " << r.exit_code << " " << r.err;
      if (!r.out.empty()) {
        EXPECT_TRUE(nlohmann::json::accept(r.out)) << all[i].what;
      }
      if (r.exit_code == 2) {
        EXPECT_NE(r.err.find(path), std::string::npos) << all[i].what;
      }
      ++runs;
    }
  }
  EXPECT_GT(runs, 100);
}

}  // namespace
}  // namespace ckpt
