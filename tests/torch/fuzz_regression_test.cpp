// Every input a fuzzer found (tests/torch/data/fuzz/) goes through every reader, as the
// fuzz targets run them; plus the minimal shape of each find.
#include <gtest/gtest.h>

#include <filesystem>

#include "byte_cursor.hpp"
#include "element_decode.hpp"
#include "legacy_torch.hpp"
#include "pickle_builder.hpp"
#include "pickle_globals.hpp"
#include "safetensors_header.hpp"
#include "test_util.hpp"
#include "torch_checkpoint.hpp"
#include "zip_member.hpp"

namespace ckpt::torch {
namespace {

void every_reader(const std::vector<uint8_t>& bytes) {
  MemorySource src(bytes, "<regression>");
  auto r = unpickle(src, 0, src.size());
  if (r) (void)interpret_torch_pickle(*r);
  (void)read_legacy_torch(src);
  if (auto z = read_zip(src)) {
    for (const auto& e : z->entries) {
      (void)verify_member(src, e);
      if (auto m = open_member(src, e)) {
        uint8_t buf[16];
        (void)(*m)->read(0, buf, std::min<uint64_t>(16, (*m)->size()));
      }
    }
  }
  (void)read_torch_zip(src);
  (void)safetensors::read_safetensors_header(src);
}

TEST(FuzzRegressions, EveryFoundInputReadsCleanly) {
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::data_path("fuzz"))) {
    every_reader(test::load("fuzz/" + entry.path().filename().string()));
    ++n;
  }
  EXPECT_GE(n, 2u);
}

// fuzz_unpickle: rendering a call restarted its depth inside arguments, so a list that
// holds a call on itself recursed until the stack overflowed.
TEST(FuzzRegressions, CallOnAListThatHoldsTheCall) {
  test::PickleBuilder p;
  p.proto(2).empty_list().put(0).global("os", "system").get(0).tuple1().reduce().append().stop();
  auto src = p.source();
  auto r = unpickle(src, 0, src.size());
  ASSERT_TRUE(r.ok() && r->complete) << test::rules_of(r->findings);
  const Finding* f = test::find_rule(r->findings, "security.dangerous_global");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("loading calls os.system([os.system(...)])"), std::string::npos) << f->message;
}

// fuzz_zip: a zero-length read into an empty vector's null data() reached memcpy.
TEST(FuzzRegressions, ZeroLengthCursorReadIntoNull) {
  std::vector<uint8_t> bytes(4, 0);
  MemorySource src(bytes);
  ByteCursor cur(src, 0, 4);
  EXPECT_TRUE(cur.read(nullptr, 0));
  EXPECT_EQ(cur.position(), 0u);
}

}  // namespace
}  // namespace ckpt::torch
