// The element codecs and the located flatbuffer check: block floats decoded as tt-metal
// unpacks them, tile and face order, bfloat16 rounding, byte <-> element mapping of every
// tile layout, and the located check agreeing with the flatbuffers Verifier on mutants.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>

#include "fb_test_util.hpp"
#include "ttml/fb_check.hpp"
#include "ttml/tensorbin.hpp"
#include "ttml/tile_codec.hpp"

namespace ckpt {
namespace {

namespace fb = test::fb;
using ttml::bfp_value;

TEST(BlockFloat, Bfloat8bValues) {
  EXPECT_EQ(bfp_value(0x40, 127, 7), 1.0f);
  EXPECT_EQ(bfp_value(0x7F, 127, 7), 127.0f / 64);
  EXPECT_EQ(bfp_value(0xC0, 127, 7), -1.0f);
  EXPECT_EQ(bfp_value(0x01, 127, 7), 1.0f / 64);
  EXPECT_TRUE(std::signbit(bfp_value(0x80, 127, 7)));  // m = 0 keeps its sign: -0
  EXPECT_EQ(bfp_value(0x80, 127, 7), 0.0f);
  EXPECT_EQ(bfp_value(0x01, 5, 7), 0.0f);             // shift 6 > exponent 5: flushed
  EXPECT_FALSE(std::signbit(bfp_value(0x81, 5, 7)));  // flushed values lose the sign
  EXPECT_TRUE(std::isinf(bfp_value(0x40, 255, 7)));   // exponent 255: Inf or NaN
  EXPECT_TRUE(std::isnan(bfp_value(0x41, 255, 7)));
  EXPECT_TRUE(std::isfinite(bfp_value(0x3F, 255, 7)));  // normalised below the top: finite
}

TEST(BlockFloat, EveryCodeIsMagnitudeTimesTheSharedScale) {
  // Wherever the result is a normal fp32, value = (-1)^s * m * 2^(e - 127 - (bits - 1)).
  for (int bits : {7, 3}) {
    for (int e = 8; e <= 254; ++e) {
      for (int code = 0; code < (2 << bits); ++code) {
        const int m = code & ((1 << bits) - 1), s = code >> bits;
        const double want = (s ? -1.0 : 1.0) * m * std::ldexp(1.0, e - 127 - (bits - 1));
        EXPECT_EQ(double(bfp_value(uint8_t(code), uint8_t(e), bits)), want) << bits << " " << e << " " << code;
      }
    }
  }
  EXPECT_EQ(bfp_value(0x4, 127, 3), 1.0f);
  EXPECT_EQ(bfp_value(0xC, 127, 3), -1.0f);
  EXPECT_EQ(bfp_value(0x7, 127, 3), 1.75f);
  EXPECT_EQ(bfp_value(0x1, 127, 3), 0.25f);
}

// The bfloat16 bits stored as element k of the counting tile: distinct normal numbers.
float counted(int k) { return std::bit_cast<float>(uint32_t(0x3F00 + k) << 16); }

// Tile bytes whose element k (in storage order) holds counted(k).
std::vector<uint8_t> counting_tile() {
  std::vector<uint8_t> t(2048);
  for (int k = 0; k < 1024; ++k) {
    const uint16_t h = uint16_t(0x3F00 + k);
    std::memcpy(t.data() + 2 * k, &h, 2);
  }
  return t;
}

TEST(Tiles, FacesAreTopLeftTopRightBottomLeftBottomRightEachRowMajor) {
  const auto tile = counting_tile();
  std::vector<float> out(32 * 40, -1);
  ttml::decode_tile(ttml::TtDType::bfloat16, tile.data(), out.data(), 40);
  for (int r = 0; r < 32; ++r)
    for (int c = 0; c < 32; ++c) {
      const int face = (r / 16) * 2 + c / 16, k = face * 256 + (r % 16) * 16 + c % 16;
      EXPECT_EQ(out[size_t(r) * 40 + c], counted(k)) << r << "," << c;
    }
  EXPECT_EQ(out[32], -1.0f);  // the stride's extra columns are untouched
  // Encoding a decoded tile gives the bytes back.
  std::vector<uint8_t> again(2048);
  ttml::encode_bf16_tile(out.data(), 40, again.data());
  EXPECT_EQ(again, tile);
}

TEST(Tiles, Bfloat16RoundsToNearestEven) {
  EXPECT_EQ(ttml::to_bf16_bits(1.0f), 0x3F80);
  EXPECT_EQ(ttml::to_bf16_bits(std::bit_cast<float>(0x3F808000u)), 0x3F80);  // tie, even below
  EXPECT_EQ(ttml::to_bf16_bits(std::bit_cast<float>(0x3F818000u)), 0x3F82);  // tie, even above
  EXPECT_EQ(ttml::to_bf16_bits(std::bit_cast<float>(0x3F808001u)), 0x3F81);
  EXPECT_EQ(ttml::to_bf16_bits(std::bit_cast<float>(0x7F800001u)) & 0x7FC0, 0x7FC0);  // NaN stays NaN
  EXPECT_EQ(ttml::to_bf16_bits(-INFINITY), 0xFF80);
}

TEST(Tiles, EveryByteMapsBackToItsElement) {
  for (auto d : {ttml::TtDType::bfloat16, ttml::TtDType::float32, ttml::TtDType::bfloat8_b, ttml::TtDType::bfloat4_b}) {
    ttml::ShardGeometry g;
    g.dtype = d;
    g.tile = true;
    g.shape = {2, 40, 70};
    g.slices = 2, g.rows = 40, g.cols = 70, g.padded_rows = 64, g.padded_cols = 96;
    g.bytes = 2 * 2 * 3 * ttml::tile_bytes(d);
    for (uint64_t s = 0; s < 2; ++s)
      for (uint64_t r = 0; r < 64; ++r)
        for (uint64_t c = 0; c < 96; c += (d == ttml::TtDType::bfloat4_b ? 2 : 1)) {
          const ttml::ShardByte b = ttml::shard_byte(g, g.byte_of(s, r, c));
          ASSERT_FALSE(b.exponent);
          ASSERT_EQ(b.slice, s);
          ASSERT_EQ(b.row, r);
          ASSERT_EQ(b.col, c);
          ASSERT_EQ(b.padding, r >= 40 || c >= 70);
          if (ttml::is_block_float(d)) {
            const ttml::ShardByte e = ttml::shard_byte(g, g.exponent_byte_of(s, r, c));
            ASSERT_TRUE(e.exponent);
            ASSERT_EQ(e.row, r);
            ASSERT_EQ(e.col, c - c % 16);
          }
        }
  }
}

// Flips bytes of a good flatbuffer: the located check must pass exactly the mutants the
// flatbuffers Verifier passes.
void expect_agreement(const std::vector<uint8_t>& good, const ttml::fb::TableDesc& root, int mutants) {
  ASSERT_TRUE(ttml::fb::flatbuffers_verify(good, root));
  ASSERT_FALSE(ttml::fb::locate_problem(good, root));
  std::mt19937 rng(20251210);
  int rejected = 0;
  for (int i = 0; i < mutants; ++i) {
    auto b = good;
    const int flips = 1 + int(rng() % 3);
    for (int k = 0; k < flips; ++k) {
      const size_t at = rng() % b.size();
      b[at] = rng() % 4 == 0 ? uint8_t(rng()) : uint8_t(b[at] ^ (1u << (rng() % 8)));
    }
    if (rng() % 8 == 0) b.resize(rng() % b.size());
    const bool verified = ttml::fb::flatbuffers_verify(b, root);
    const auto problem = ttml::fb::locate_problem(b, root);
    ASSERT_EQ(verified, !problem) << "mutant " << i << ": " << (problem ? problem->what : "no problem located");
    if (problem) {
      ++rejected;
      EXPECT_LE(problem->offset, b.size());
    }
  }
  EXPECT_GT(rejected, mutants / 20);  // the mutants do exercise the failures
}

TEST(LocatedCheck, AgreesWithTheFlatbuffersVerifierOnMutantMetadata) {
  expect_agreement(test::read_file(fb::fixture("fb/tiny_llama/metadata.flatbuffer")), ttml::fb::kTtmlData, 1500);
}

TEST(LocatedCheck, AgreesWithTheFlatbuffersVerifierOnMutantTensorHeaders) {
  for (const char* f :
       {"bfloat16_mesh1x2_shard_dim3.tensorbin", "bfloat16_tile_schema_v1.tensorbin", "uint32_row_major.tensorbin"}) {
    const auto file = test::read_file(fb::fixture(std::string("fb/tensorbin/") + f));
    uint64_t n;
    std::memcpy(&n, file.data(), 8);
    expect_agreement(std::vector<uint8_t>(file.begin() + 8, file.begin() + 8 + std::ptrdiff_t(n)), ttml::fb::kTensor,
                     3000);
  }
}

}  // namespace
}  // namespace ckpt

#include "ttml/fb_build.hpp"
#include "ttml/tensorbin_stream.hpp"

namespace ckpt {
namespace {

// A tile row wider than the cursor's budget is decoded in column blocks and re-read for
// each of its rows: the values and the scan's findings are those of the one-pass path.
TEST(Tiles, ColumnBlocksOfAWideTileRowGiveTheSameValuesAndFindings) {
  const uint32_t rows = 40, cols = 200;  // 2 tile rows of 7 tiles, padding in both directions
  std::vector<float> v(size_t(rows) * cols);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(int(i % 37) - 18) / 4;
  auto data = fb::tilize_bf16(v, rows, cols, 1.0f);  // non-zero padding
  ttml::TensorbinSpec spec;
  spec.shape = {1, 1, rows, cols};
  spec.shards = {{{0, 0}, 0, data.size()}};
  const auto file = ttml::build_tensorbin(spec, data);
  MemorySource src(file);
  std::vector<Finding> found;
  auto h = ttml::read_tensorbin_header(src, 0, file.size(), {}, "t", found);
  ASSERT_TRUE(h && h->geometry);
  const auto grid = ttml::build_grid(*h, "t", found);
  auto run = [&](size_t budget, ttml::ScanFinds& scan) {
    std::vector<float> out;
    auto r = ttml::stream_tensorbin(
        src, *h, grid,
        [&](uint64_t, const float* x, size_t n) {
          out.insert(out.end(), x, x + n);
          return true;
        },
        97, &scan, budget);
    EXPECT_TRUE(r);
    return out;
  };
  ttml::ScanFinds whole, blocks;
  const auto a = run(ttml::kTileRowBudget, whole);
  const auto b = run(1024, blocks);                                  // one tile per block
  for (size_t i = 0; i < v.size(); ++i) ASSERT_EQ(a[i], v[i]) << i;  // multiples of 1/4: bfloat16-exact
  EXPECT_EQ(a, b);
  EXPECT_EQ(whole.nonzero_padding, 2u * 32 * 224 - size_t(rows) * cols);
  EXPECT_EQ(blocks.nonzero_padding, whole.nonzero_padding);
  EXPECT_EQ(blocks.first_padding, whole.first_padding);
  // The first padding element: row 0, column 200 = tile 6, face 0, column 8 of the face.
  EXPECT_EQ(whole.first_padding, h->data_start + 6 * 2048 + 8 * 2);
}

}  // namespace
}  // namespace ckpt
