#pragma once
// The element orders converters write, as position maps, and the names of the orders
// ckpt recognises in an index map (reversed, halves swapped, heads reordered, ...).
// Pure arithmetic: no reads.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ckpt::diffing {

// Tiled layouts: tile x tile blocks, row-major across the matrix; inside a tile, faces of
// face x face in row-major order, row-major inside a face. tt-metal's layout is tiles of
// 32 with four 16x16 faces (top-left, top-right, bottom-left, bottom-right); a face as
// large as the tile is a tile stored row-major (tt-metal's TILED_SWIZZLED test layout,
// and the blocked layouts of SIMD and accelerator kernels, 4 to 64 wide).
struct TileLayout {
  uint64_t tile = 32, face = 16;
};
// The layouts tried, tt-metal's first.
inline constexpr TileLayout kTileLayouts[] = {{32, 16}, {32, 32}, {16, 16}, {8, 8}, {64, 64}, {4, 4}};
inline uint64_t round_up(uint64_t x, uint64_t to) { return (x + to - 1) / to * to; }

// Position in tile order of element (row, col) of a matrix whose padded width is
// `padded_cols` (a multiple of the tile).
uint64_t tile_position(uint64_t row, uint64_t col, uint64_t padded_cols, TileLayout t);

struct RowCol {
  uint64_t row, col;
};
// The element (row, col) of the padded matrix held at tile-order position p.
RowCol tile_element(uint64_t p, uint64_t padded_cols, TileLayout t);

// The divisors d of n with 1 < d < n, ascending (n up to 2^64: trial division up to
// sqrt(n), at most 2^32 steps, so only call it for n that fits in memory as floats).
std::vector<uint64_t> proper_divisors(uint64_t n);

// What an index map is, when it is something with a name. The map: B's item i holds A's
// item map[i], -1 where unknown (not sampled or ambiguous).
struct OrderName {
  std::string pattern;           // "reversed", "halves_swapped", "rotated", "interleaved",
                                 // "deinterleaved", "heads_reordered", "blocks_reordered", "arbitrary"
  std::vector<uint64_t> order;   // heads/blocks_reordered: the block map; arbitrary: the map itself
  uint64_t block = 0;            // items per block (interleaved: per interleaved block)
  std::optional<int64_t> shift;  // rotated: B's item i is A's item (i + shift) mod n
  std::string text;              // "the heads reordered (head size 8): B's heads are A's [1, 0, ...]"
};

// Names the order of `map` (n = map.size() items). `unit` is the plural word for the
// items ("rows", "columns", "elements"), `head_size` the config's (0: none), which turns
// blocks of that size into heads. Patterns are checked on the known entries only; the
// full map is given for "arbitrary" when every entry is known. nullopt when the map is
// the identity on its known entries or fewer than two entries are known.
std::optional<OrderName> name_order(const std::vector<int64_t>& map, const std::string& unit, uint64_t head_size);

// "[1, 0, 3, 2]", at most `limit` entries then ", ...".
std::string list_str(const std::vector<uint64_t>& v, size_t limit = 16);

}  // namespace ckpt::diffing
