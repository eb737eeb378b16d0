// Seeded byte mutations of the committed fixtures: the reader, the value stream and
// --at must never crash, loop or read outside the file, whatever the bytes say.
#include <gtest/gtest.h>

#include <random>

#include "ckpt/tensor_stream.hpp"
#include "test_support.hpp"
#include "ttml/ttml.hpp"

namespace ckpt {
namespace {

using namespace ttml;

void exercise(const std::vector<uint8_t>& bytes, std::mt19937& rng) {
  MemorySource src(bytes);
  OpenOptions opt;
  opt.forced_format = ttml::msgpack_weights;
  auto cp = open_checkpoint(src, opt);
  ASSERT_TRUE(cp);
  for (const auto& t : cp->tensors) {
    uint64_t n = 0;
    auto r = stream_f32(*cp, t, [&](uint64_t, const float*, size_t k) {
      n += k;
      return true;
    });
    if (r) {
      EXPECT_EQ(*r, n);
    }
    const TtmlTensor* x = ttml::info_of(*cp)->find_tensor(t.spec.name);
    ASSERT_NE(x, nullptr);
    if (!bytes.empty()) ttml::element_at(src, *x, rng() % bytes.size());
  }
  for (const auto& f : cp->findings) {
    if (f.offset) {
      EXPECT_LE(*f.offset, bytes.size()) << f.rule;
    }
  }
}

TEST(TtmlMutation, RandomByteMutationsAreFindingsNotCrashes) {
  for (const char* name : {"ttml/tiny_llama.msgpack", "ttml/tiny_llama_py.msgpack"}) {
    const auto base = test::read_file(test::fixture_path(name));
    ASSERT_FALSE(base.empty());
    std::mt19937 rng(42);
    for (int round = 0; round < 300; ++round) {
      auto b = base;
      const int edits = 1 + int(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t at = rng() % b.size();
        switch (rng() % 3) {
          case 0:
            b[at] = uint8_t(rng());
            break;  // any byte
          case 1:
            b[at] = uint8_t(0xc0 + rng() % 0x20);
            break;  // a header byte
          case 2:
            b.resize(at);
            break;  // truncation
        }
        if (b.empty()) break;
      }
      exercise(b, rng);
    }
  }
}

}  // namespace
}  // namespace ckpt
