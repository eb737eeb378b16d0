// Canonical views over stored tensors: model-parallel shards concatenated along rows or
// columns, and Hugging Face's rotary layout undone, read element by element exactly.
#include "ckpt/views.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "ckpt/view_reader.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

// A checkpoint of raw fp32 tensors held in memory (no family: views are built by hand).
struct Raw {
  std::vector<uint8_t> bytes;
  Checkpoint cp;
  size_t add(const std::string& name, std::vector<uint64_t> shape, const std::vector<float>& v) {
    TensorInfo t;
    t.spec.name = name;
    t.spec.shape = std::move(shape);
    t.spec.numel = v.size();
    t.place.offset = bytes.size();
    t.place.nbytes = v.size() * 4;
    t.data_available = t.place.nbytes;
    bytes.resize(bytes.size() + v.size() * 4);
    std::memcpy(bytes.data() + t.place.offset, v.data(), v.size() * 4);
    cp.tensors.push_back(std::move(t));
    return cp.tensors.size() - 1;
  }
  const Checkpoint& opened() {
    cp.sources = {std::make_shared<MemorySource>(bytes, "raw")};
    return cp;
  }
};

std::vector<float> iota(size_t n, float start) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

std::vector<float> read_all(const Checkpoint& cp, const CanonicalView& v) {
  std::vector<float> out(v.numel);
  ViewReader r(cp, v);
  EXPECT_EQ(r.available(), v.numel);
  // Odd-sized reads cross row and shard boundaries.
  for (uint64_t i = 0; i < v.numel; i += 5) {
    const size_t n = size_t(std::min<uint64_t>(5, v.numel - i));
    EXPECT_TRUE(r.read(i, n, out.data() + i, nullptr));
  }
  return out;
}

TEST(Views, ShardsAlongRowsFollowEachOther) {
  Raw raw;
  const size_t a = raw.add("s0", {2, 3}, iota(6, 0)), b = raw.add("s1", {2, 3}, iota(6, 100));
  CanonicalView v;
  v.name = "w";
  v.tensor = a;
  v.shards = {b};
  v.shape = {4, 3};
  v.numel = 12;
  EXPECT_EQ(read_all(raw.opened(), v), (std::vector<float>{0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105}));
}

TEST(Views, ShardsAlongColumnsSitSideBySide) {
  Raw raw;
  const size_t a = raw.add("s0", {2, 2}, iota(4, 0)), b = raw.add("s1", {2, 3}, iota(6, 100));
  CanonicalView v;
  v.name = "w";
  v.tensor = a;
  v.shards = {b};
  v.shard_axis = 1;
  v.shape = {2, 5};
  v.numel = 10;
  EXPECT_EQ(read_all(raw.opened(), v), (std::vector<float>{0, 1, 100, 101, 102, 2, 3, 103, 104, 105}));
}

TEST(Views, RotaryLayoutIsUndoneRowByRow) {
  // Two heads of size 4, one column: stored (HF) rows h*4 + k*2 + i hold Meta row h*4 + 2i + k.
  Raw raw;
  const size_t t = raw.add("q", {8, 1}, {0, 2, 1, 3, 4, 6, 5, 7});
  CanonicalView v;
  v.name = "wq";
  v.tensor = t;
  v.shape = {8, 1};
  v.numel = 8;
  v.rotary_head_size = 4;
  EXPECT_EQ(read_all(raw.opened(), v), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
  // Streaming gives the same values.
  std::vector<float> streamed;
  ASSERT_TRUE(stream_view_f32(
      raw.cp, v, 0, 8,
      [&](uint64_t, const float* x, size_t n) {
        streamed.insert(streamed.end(), x, x + n);
        return true;
      },
      3));
  EXPECT_EQ(streamed, (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(Views, IncompleteShardMakesTheViewUnreadable) {
  Raw raw;
  const size_t a = raw.add("s0", {2, 2}, iota(4, 0)), b = raw.add("s1", {2, 2}, iota(4, 10));
  raw.cp.tensors[b].status = TensorStatus::truncated;
  CanonicalView v;
  v.tensor = a;
  v.shards = {b};
  v.shape = {4, 2};
  v.numel = 8;
  EXPECT_EQ(ViewReader(raw.opened(), v).available(), 0u);
}

}  // namespace
}  // namespace ckpt
