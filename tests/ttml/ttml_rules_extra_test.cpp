// The tt-train findings the corrupt-case table does not build: a key too long, a
// data_type tt-train does not know, an undecodable numpy array, and too many keys; each
// with its passing counterpart.
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "ttml/ttml.hpp"
#include "ttml_builder.hpp"

namespace ckpt {
namespace {

using namespace ttml;

using test::Mp;

const Finding* first(const Checkpoint& cp, const std::string& rule) {
  for (const auto& f : cp.findings)
    if (f.rule == rule) return &f;
  return nullptr;
}

TEST(TtmlRules, KeyLongerThan64KiB) {
  Mp m;
  m.map(2);
  const uint64_t key_at = m.pos();
  m.str(std::string(70000, 'k')).var(2).uint(1);
  m.str("ok").var(2).uint(2);
  auto cp = test::open_bytes(m.b);
  ASSERT_TRUE(cp);
  const Finding* f = first(*cp, "ttml.key_length");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->offset, key_at);
  Mp fine;
  fine.map(1);
  fine.str(std::string(60000, 'k')).var(2).uint(1);
  EXPECT_EQ(first(*test::open_bytes(fine.b), "ttml.key_length"), nullptr);
}

TEST(TtmlRules, UnknownDataTypeIsAWarningNamingTheTensor) {
  Mp m;
  m.map(5);
  test::put_tensor(m, "w", {1, 1, 1, 2}, {1.0f, 2.0f}, /*data_type=*/7);
  auto cp = test::open_bytes(m.b);
  const Finding* f = first(*cp, "ttml.data_type");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::warning);
  EXPECT_EQ(f->subject, "w");
  Mp ok;
  ok.map(5);
  test::put_tensor(ok, "w", {1, 1, 1, 2}, {1.0f, 2.0f}, 1);
  EXPECT_EQ(first(*test::open_bytes(ok.b), "ttml.data_type"), nullptr);
}

std::vector<uint8_t> numpy_file(const std::string& type, uint64_t& payload_at) {
  Mp m;
  m.map(1);
  m.str("llama/llama/tok_emb/weight");
  payload_at = m.pos();
  m.map(5);
  m.bin({'n', 'd'}).boolean(true);
  m.bin({'t', 'y', 'p', 'e'}).str(type);
  m.bin({'k', 'i', 'n', 'd'}).bin({});
  m.bin({'s', 'h', 'a', 'p', 'e'}).arr(1).uint(2);
  m.bin({'d', 'a', 't', 'a'}).bin(std::vector<uint8_t>(type == "<c8" ? 16 : 8, 0));
  return m.b;
}

TEST(TtmlRules, NumpyTypeThatCannotBeDecoded) {
  uint64_t at = 0;
  auto cp = test::open_bytes(numpy_file("<c8", at));
  ASSERT_TRUE(cp);
  const Finding* f = first(*cp, "ttml.numpy");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->offset, at);
  EXPECT_EQ(first(*test::open_bytes(numpy_file("<f4", at)), "ttml.numpy"), nullptr);
}

TEST(TtmlRules, MoreThanTwoToTheSeventeenKeysStopsTheIndex) {
  const uint32_t n = (1u << 17) + 1;
  Mp m;
  m.map(n);
  char key[16];
  for (uint32_t i = 0; i < n; ++i) {
    std::snprintf(key, sizeof key, "k%07u", i);
    m.str(key).var(2).uint(1);
  }
  auto cp = test::open_bytes(m.b);
  ASSERT_TRUE(cp);
  const Finding* f = first(*cp, "ttml.too_many_keys");
  ASSERT_NE(f, nullptr);
  // Every entry is 8 (fixstr key) + 1 (fixarray) + 1 + 1 bytes; the map header is 5.
  EXPECT_EQ(f->offset, 5u + uint64_t(1u << 17) * 12);
  m.b.clear();
  m.map(1000);
  for (uint32_t i = 0; i < 1000; ++i) {
    std::snprintf(key, sizeof key, "k%07u", i);
    m.str(key).var(2).uint(1);
  }
  EXPECT_EQ(first(*test::open_bytes(m.b), "ttml.too_many_keys"), nullptr);
}

}  // namespace
}  // namespace ckpt
