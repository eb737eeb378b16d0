#include "orders.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <functional>

namespace ckpt::diffing {

uint64_t tile_position(uint64_t row, uint64_t col, uint64_t padded_cols, TileLayout t) {
  const uint64_t tile = (row / t.tile) * (padded_cols / t.tile) + col / t.tile;
  const uint64_t r = row % t.tile, c = col % t.tile, faces_per_row = t.tile / t.face;
  const uint64_t f = (r / t.face) * faces_per_row + c / t.face;
  return tile * t.tile * t.tile + f * t.face * t.face + (r % t.face) * t.face + c % t.face;
}

RowCol tile_element(uint64_t p, uint64_t padded_cols, TileLayout t) {
  const uint64_t tile = p / (t.tile * t.tile), in_tile = p % (t.tile * t.tile);
  const uint64_t f = in_tile / (t.face * t.face), in_face = in_tile % (t.face * t.face);
  const uint64_t faces_per_row = t.tile / t.face, tiles_per_row = padded_cols / t.tile;
  return RowCol{(tile / tiles_per_row) * t.tile + (f / faces_per_row) * t.face + in_face / t.face,
                (tile % tiles_per_row) * t.tile + (f % faces_per_row) * t.face + in_face % t.face};
}

std::vector<uint64_t> proper_divisors(uint64_t n) {
  std::vector<uint64_t> low, high;
  for (uint64_t d = 2; d <= n / d; ++d) {
    if (n % d) continue;
    low.push_back(d);
    if (d != n / d) high.push_back(n / d);
  }
  low.insert(low.end(), high.rbegin(), high.rend());
  return low;
}

std::string list_str(const std::vector<uint64_t>& v, size_t limit) {
  std::string s = "[";
  for (size_t i = 0; i < v.size() && i < limit; ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() > limit ? ", ...]" : "]");
}

namespace {

using Map = std::vector<int64_t>;

// True when every known entry of the map is f(i).
bool all_known(const Map& map, const std::function<uint64_t(uint64_t)>& f) {
  for (uint64_t i = 0; i < map.size(); ++i)
    if (map[i] >= 0 && uint64_t(map[i]) != f(i)) return false;
  return true;
}

bool complete(const Map& map) {
  return std::all_of(map.begin(), map.end(), [](int64_t x) { return x >= 0; });
}

std::vector<uint64_t> as_order(const Map& map) { return std::vector<uint64_t>(map.begin(), map.end()); }

// Blocks of b items moved whole: map[i] = bm[i / b] * b + i % b. The block map, or nullopt.
std::optional<Map> block_map(const Map& map, uint64_t b) {
  Map bm(map.size() / b, -1);
  for (uint64_t i = 0; i < map.size(); ++i) {
    if (map[i] < 0) continue;
    if (uint64_t(map[i]) % b != i % b) return std::nullopt;
    int64_t& slot = bm[i / b];
    const int64_t block = int64_t(uint64_t(map[i]) / b);
    if (slot >= 0 && slot != block) return std::nullopt;
    slot = block;
  }
  return bm;
}

// Patterns that describe the whole map by a formula (no block structure).
std::optional<OrderName> formula(const Map& map, const std::string& unit) {
  const uint64_t n = map.size();
  OrderName o;
  if (all_known(map, [&](uint64_t i) { return n - 1 - i; })) {
    o.pattern = "reversed";
    o.text = "in reverse order";
    return o;
  }
  uint64_t first = 0;
  while (map[first] < 0) ++first;
  const uint64_t s = (uint64_t(map[first]) + n - first % n) % n;
  if (s != 0 && all_known(map, [&](uint64_t i) { return (i + s) % n; })) {
    if (n % 2 == 0 && s == n / 2) {
      o.pattern = "halves_swapped";
      o.text = "with the two halves swapped";
    } else {
      o.pattern = "rotated";
      o.shift = int64_t(s);
      o.text = fmt::format("rotated by {}: B's {} i is A's {} i + {} (mod {})", s, unit.substr(0, unit.size() - 1),
                           unit.substr(0, unit.size() - 1), s, n);
    }
    return o;
  }
  for (uint64_t k = 2; k <= 16 && k * 2 <= n; ++k) {
    if (n % k) continue;
    const uint64_t len = n / k;
    if (all_known(map, [&](uint64_t i) { return (i % k) * len + i / k; })) {
      o.pattern = "interleaved";
      o.block = len;
      o.text = fmt::format("interleaved: B takes one {} from each of A's {} blocks of {} in turn",
                           unit.substr(0, unit.size() - 1), k, len);
      return o;
    }
    if (all_known(map, [&](uint64_t i) { return (i % len) * k + i / len; })) {
      o.pattern = "deinterleaved";
      o.block = len;
      o.text = fmt::format("deinterleaved: B's {} blocks of {} hold A's {} i = 0, 1, ..., {} (mod {}) in turn", k, len,
                           unit, k - 1, k);
      return o;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<OrderName> name_order(const Map& map, const std::string& unit, uint64_t head_size) {
  const uint64_t n = map.size();
  const auto known = std::count_if(map.begin(), map.end(), [](int64_t x) { return x >= 0; });
  if (known < 2 || all_known(map, [](uint64_t i) { return i; })) return std::nullopt;
  if (auto o = formula(map, unit)) return o;
  // Blocks moved whole, the largest block first: reordered heads keep their rows in order.
  const std::vector<uint64_t> divisors = proper_divisors(n);
  for (auto it = divisors.rbegin(); it != divisors.rend(); ++it) {
    const uint64_t b = *it;
    auto bm = block_map(map, b);
    if (!bm) continue;
    OrderName o;
    const bool heads = b == head_size;
    o.pattern = heads ? "heads_reordered" : "blocks_reordered";
    o.block = b;
    if (complete(*bm)) o.order = as_order(*bm);
    // The order of the blocks in a few words, when it has a name.
    const auto inner = name_order(*bm, heads ? "heads" : "blocks", 0);
    std::string how;
    if (inner && inner->pattern == "rotated")
      how = fmt::format(", rotated by {}", *inner->shift);
    else if (inner && inner->pattern != "arbitrary")
      how = ", " + inner->text.substr(0, inner->text.find(':'));
    o.text = heads ? fmt::format("with the heads reordered (head size {}{})", b, how)
                   : fmt::format("reordered in blocks of {} {}{}", b, unit, how);
    if (!o.order.empty()) o.text += fmt::format(": B's {} are A's {}", heads ? "heads" : "blocks", list_str(o.order));
    return o;
  }
  OrderName o;
  o.pattern = "arbitrary";
  o.block = 1;
  if (complete(map)) {
    o.order = as_order(map);
    o.text = fmt::format("in an order without a simple structure: {}", list_str(o.order, 8));
  } else {
    o.text = fmt::format("in an order without a simple structure (seen for {} of {} {})", known, n, unit);
  }
  return o;
}

}  // namespace ckpt::diffing
