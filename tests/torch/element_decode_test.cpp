// fp32 conversion of every decodable dtype, contiguous runs and strided gathers.
#include "element_decode.hpp"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <cstring>

namespace ckpt::torch {
namespace {

template <class T>
std::vector<uint8_t> raw(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

TEST(ElementDecode, EveryDecodableDtype) {
  float out[4];
  auto f64 = raw<double>({1.5, -2.25, 1e300, 0});
  ASSERT_TRUE(decode_to_f32(TorchDType::f64, f64.data(), 4, out));
  EXPECT_EQ(out[0], 1.5f);
  EXPECT_EQ(out[1], -2.25f);
  EXPECT_TRUE(std::isinf(out[2]));
  auto f16 = raw<uint16_t>({0x3C00, 0xC000, 0x7C00, 0x0001});  // 1, -2, inf, smallest subnormal
  ASSERT_TRUE(decode_to_f32(TorchDType::f16, f16.data(), 4, out));
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_TRUE(std::isinf(out[2]));
  EXPECT_EQ(out[3], std::ldexp(1.0f, -24));
  auto bf16 = raw<uint16_t>({0x3F80, 0xC040, 0x7FC0, 0x0000});  // 1, -3, nan, 0
  ASSERT_TRUE(decode_to_f32(TorchDType::bf16, bf16.data(), 4, out));
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -3.0f);
  EXPECT_TRUE(std::isnan(out[2]));
  auto i64 = raw<int64_t>({-1, 1ll << 40, 7, 0});
  ASSERT_TRUE(decode_to_f32(TorchDType::i64, i64.data(), 4, out));
  EXPECT_EQ(out[0], -1.0f);
  EXPECT_EQ(out[1], std::ldexp(1.0f, 40));
  auto i8 = raw<int8_t>({-128, 127, 0, 1});
  ASSERT_TRUE(decode_to_f32(TorchDType::i8, i8.data(), 4, out));
  EXPECT_EQ(out[0], -128.0f);
  auto u8 = raw<uint8_t>({255, 0, 2, 1});
  ASSERT_TRUE(decode_to_f32(TorchDType::boolean, u8.data(), 4, out));
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], 0.0f);
  ASSERT_TRUE(decode_to_f32(TorchDType::u8, u8.data(), 4, out));
  EXPECT_EQ(out[0], 255.0f);
  EXPECT_FALSE(decode_to_f32(TorchDType::c64, u8.data(), 1, out));
  EXPECT_FALSE(decode_to_f32(TorchDType::qint8, u8.data(), 1, out));
}

TEST(ElementDecode, ContiguousRunAndRanges) {
  std::vector<float> v(100);
  for (int k = 0; k < 100; ++k) v[size_t(k)] = float(k);
  MemorySource src(raw(v));
  StorageBytes s{&src, 0, 400};
  std::vector<float> out(10);
  ASSERT_TRUE(read_f32(s, TorchDType::f32, 90, 10, out.data()).ok());
  EXPECT_EQ(out[0], 90.0f);
  EXPECT_EQ(out[9], 99.0f);
  auto bad = read_f32(s, TorchDType::f32, 91, 10, out.data());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().cause, "decode.range");
  auto huge = read_f32(s, TorchDType::f32, 1ull << 62, 10, out.data());
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().cause, "decode.range");
  auto dtype = read_f32(s, TorchDType::c64, 0, 1, out.data());
  ASSERT_FALSE(dtype.ok());
  EXPECT_EQ(dtype.error().cause, "decode.dtype");
}

TEST(ElementDecode, StridedGatherInRowMajorOrderAndChunks) {
  // A 3x4 f16 base; gather its transpose (stride 1, 4) starting at offset 0.
  std::vector<uint16_t> h(12);
  for (int k = 0; k < 12; ++k) h[size_t(k)] = Eigen::numext::bit_cast<uint16_t>(Eigen::half(float(k)));
  MemorySource src(raw(h));
  StorageBytes s{&src, 0, 24};
  std::vector<float> got;
  std::vector<size_t> chunks;
  uint64_t shape[2] = {4, 3}, stride[2] = {1, 4};
  auto n = gather_f32(
      s, TorchDType::f16, shape, stride, 0,
      [&](const float* v, size_t c) {
        got.insert(got.end(), v, v + c);
        chunks.push_back(c);
        return true;
      },
      5);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 12u);
  EXPECT_EQ(got, (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_EQ(chunks, (std::vector<size_t>{5, 5, 2}));
}

TEST(ElementDecode, GatherStopsOutsideTheStorageAndOnRequest) {
  std::vector<float> v(12, 1.0f);
  MemorySource src(raw(v));
  StorageBytes s{&src, 0, 48};
  uint64_t shape[2] = {3, 4}, stride[2] = {4, 1};
  size_t seen = 0;
  auto past = gather_f32(s, TorchDType::f32, shape, stride, 1, [&](const float*, size_t c) {
    seen += c;
    return true;
  });
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error().cause, "decode.range");
  uint64_t big_stride[2] = {1ull << 62, 1};
  auto overflow = gather_f32(s, TorchDType::f32, shape, big_stride, 0, [](const float*, size_t) { return true; });
  ASSERT_FALSE(overflow.ok());
  size_t calls = 0;
  auto stopped = gather_f32(
      s, TorchDType::f32, shape, stride, 0, [&](const float*, size_t) { return ++calls < 2; }, 4);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(calls, 2u);
  uint64_t empty_shape[2] = {0, 4};
  auto none = gather_f32(s, TorchDType::f32, empty_shape, stride, 0, [](const float*, size_t) { return true; });
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
}

TEST(ElementDecode, WideRowsAreGatheredElementByElement) {
  // Stride 2^21 elements between two elements: the span (8 MiB) is above the one-read cap.
  std::vector<uint8_t> bytes((1u << 23) + 4, 0);
  float one = 1.0f, two = 2.0f;
  std::memcpy(bytes.data(), &one, 4);
  std::memcpy(bytes.data() + (1u << 23), &two, 4);
  MemorySource src(bytes);
  StorageBytes s{&src, 0, bytes.size()};
  uint64_t shape[1] = {2}, stride[1] = {1u << 21};
  std::vector<float> got;
  auto n = gather_f32(s, TorchDType::f32, shape, stride, 0, [&](const float* v, size_t c) {
    got.insert(got.end(), v, v + c);
    return true;
  });
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(got, (std::vector<float>{1, 2}));
  EXPECT_LT(src.bytes_read(), 64u);
}

}  // namespace
}  // namespace ckpt::torch
