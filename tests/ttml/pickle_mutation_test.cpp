// Seeded byte mutations and truncations of the two tt-train pickle fixtures: opening
// (forced to the format, so that detection does not decline first), streaming every
// tensor, validating and --at must never crash, hang or read outside the file, and every
// placement and finding must lie inside it.
#include <gtest/gtest.h>

#include <random>

#include "ckpt/locate.hpp"
#include "ckpt/tensor_stream.hpp"
#include "ckpt/validate.hpp"
#include "test_support.hpp"
#include "ttml/pickle_ckpt.hpp"

namespace ckpt {
namespace {

void exercise(const std::vector<uint8_t>& bytes, Format format, std::mt19937& rng) {
  MemorySource src(bytes);
  OpenOptions opt;
  opt.forced_format = format;
  auto cp = open_checkpoint(src, opt);
  ASSERT_TRUE(cp);
  for (const auto& t : cp->tensors) {
    // A placement is the array's bytes as the pickle read them: inside the file.
    EXPECT_LE(t.place.offset + t.place.nbytes, bytes.size()) << t.spec.name;
    uint64_t n = 0;
    auto r = stream_f32(*cp, t, [&](uint64_t, const float*, size_t k) {
      n += k;
      return true;
    });
    if (r) {
      EXPECT_EQ(*r, n);
      EXPECT_EQ(n, t.spec.numel) << t.spec.name;
    }
  }
  for (const auto& f : cp->findings)
    if (f.offset) {
      EXPECT_LE(*f.offset, bytes.size()) << f.rule;
    }
  if (!bytes.empty()) locate(*cp, rng() % bytes.size());
  ValidateOptions vo;
  vo.forced_format = format;
  validate_source(src, vo);
}

TEST(TtmlPickleMutation, RandomEditsAndCutsAreFindingsNotCrashes) {
  const std::pair<const char*, Format> files[] = {{"ttml/pickle/tiny_llama.ckpt", ttml::pickle_stream},
                                                  {"ttml/pickle/tiny_llama_step_10.pkl", ttml::nanogpt_pickle},
                                                  {"ttml/pickle/protocol5.ckpt", ttml::pickle_stream}};
  for (const auto& [name, format] : files) {
    const auto base = test::read_file(test::fixture_path(name));
    ASSERT_FALSE(base.empty());
    std::mt19937 rng(20251210);
    // Edits land in the pickles' opcodes more often than in the array data: half of them
    // within the first 2 KiB (record 0) or right around a record boundary.
    for (int round = 0; round < 400; ++round) {
      auto b = base;
      const int edits = 1 + int(rng() % 4);
      for (int e = 0; e < edits && !b.empty(); ++e) {
        size_t at = rng() % b.size();
        if (rng() % 2) at = rng() % std::min<size_t>(b.size(), 2048);
        switch (rng() % 4) {
          case 0:
            b[at] = uint8_t(rng());
            break;  // any byte
          case 1:
            b[at] = uint8_t("(tRb.}]use\x93\x94\x95hKJB"[rng() % 17]);
            break;  // an opcode
          case 2:
            b[at] = uint8_t(0xff);
            break;  // lengths and counts at their largest
          case 3:
            b.resize(at);
            break;  // cut
        }
      }
      SCOPED_TRACE(std::string(name) + " round " + std::to_string(round));
      exercise(b, format, rng);
    }
    // Every cut at a stride: a record boundary, an opcode, a length, the data.
    for (size_t cut = 0; cut < base.size(); cut += 211) {
      SCOPED_TRACE(std::string(name) + " cut at " + std::to_string(cut));
      exercise(std::vector<uint8_t>(base.begin(), base.begin() + std::ptrdiff_t(cut)), format, rng);
    }
  }
}

}  // namespace
}  // namespace ckpt
