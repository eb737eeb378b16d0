#pragma once
// Internal: walking msgpack containers with the bounded cursor. walk_elements is the hot
// loop of both the index pass and the value stream: it decodes number elements straight
// from the cursor's window (float64, float32 and ints mixed, one at a time) and falls
// back to the checked header path only near the window end or for non-numbers.
#include <algorithm>
#include <cstring>
#include <vector>

#include "msgpack_cursor.hpp"

namespace ckpt::ttml {

enum class WalkStatus { ok, eof, length, bad_byte, depth };
struct WalkResult {
  WalkStatus status = WalkStatus::ok;
  uint64_t done = 0;         // elements completely walked
  uint64_t fail_offset = 0;  // the header that failed
};

// A container length must fit in the bytes left: each element takes at least one byte
// (a map entry two). Checked before anything trusts the length.
inline bool container_fits(const MsgHead& h, uint64_t remaining) {
  if (h.type == MsgType::map) return h.len <= remaining / 2;
  if (h.type == MsgType::array) return h.len <= remaining;
  return h.len <= remaining;  // str, bin, ext: the bytes themselves
}

// Skips n consecutive items; `depth` is the nesting level of those items (the top-level
// map is level 1). A container at a level beyond the
// cursor's max_depth is refused: tt-train files nest 3 deep, msgpack_numpy arrays 5, and
// the limit keeps the skip stack bounded.
inline WalkResult skip_items(MsgCursor& c, uint64_t n, size_t depth) {
  std::vector<uint64_t> stack{n};
  WalkResult r;
  while (!stack.empty()) {
    if (stack.back() == 0) {
      stack.pop_back();
      continue;
    }
    --stack.back();
    MsgHead h;
    switch (read_head(c, h)) {
      case HeadStatus::eof:
        return {WalkStatus::eof, 0, h.offset};
      case HeadStatus::bad_byte:
        return {WalkStatus::bad_byte, 0, h.offset};
      case HeadStatus::ok:
        break;
    }
    switch (h.type) {
      case MsgType::str:
      case MsgType::bin:
      case MsgType::ext:
        if (!container_fits(h, c.remaining())) return {WalkStatus::length, 0, h.offset};
        c.advance(h.len);
        break;
      case MsgType::array:
      case MsgType::map:
        if (!container_fits(h, c.remaining())) return {WalkStatus::length, 0, h.offset};
        if (depth + stack.size() - 1 > c.max_depth) return {WalkStatus::depth, 0, h.offset};
        stack.push_back(h.type == MsgType::map ? h.len * 2 : h.len);
        break;
      default:
        break;
    }
  }
  return r;
}

inline double be_f64(const uint8_t* p) {
  uint64_t u = 0;
  for (int k = 0; k < 8; ++k) u = u << 8 | p[k];
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}
inline float be_f32(const uint8_t* p) {
  const uint32_t u = uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Walks the `count` elements of an array at nesting level `depth` (its elements are at
// depth + 1), starting at c.pos(). Numbers go to
// on_num(index, type, value, offset); anything else to on_other(index, head) and is skipped.
// Stops with the failing status at the first element that cannot be read.
template <class OnNum, class OnOther>
WalkResult walk_elements(MsgCursor& c, uint64_t count, size_t depth, OnNum&& on_num, OnOther&& on_other) {
  uint64_t i = 0;
  while (i < count) {
    size_t avail = c.buffered();
    if (avail < 9 && c.remaining() > avail) {
      c.need(size_t(std::min<uint64_t>(9, c.remaining())));
      avail = c.buffered();
    }
    if (avail >= 9) {
      // Fast path: at least 9 bytes (the longest number) are in the window.
      const uint8_t* p = c.data();
      const uint8_t* const s = p;
      const uint64_t base = c.pos();
      const uint8_t* const e = p + avail - 8;
      bool slow = false;
      while (i < count && p < e) {
        const uint8_t b = *p;
        if (b == 0xcb) {
          on_num(i, MsgType::f64, be_f64(p + 1), base + uint64_t(p - s));
          p += 9;
        } else if (b == 0xca) {
          on_num(i, MsgType::f32, double(be_f32(p + 1)), base + uint64_t(p - s));
          p += 5;
        } else if (b <= 0x7f) {
          on_num(i, MsgType::uint, double(b), base + uint64_t(p - s));
          p += 1;
        } else if (b >= 0xe0) {
          on_num(i, MsgType::sint, double(int8_t(b)), base + uint64_t(p - s));
          p += 1;
        } else {
          MsgHead h;
          const uint32_t n = decode_head(p, h);
          if (n == 0 || !h.is_number()) {
            slow = true;
            break;
          }
          on_num(i, h.type, h.as_double(), base + uint64_t(p - s));
          p += n;
        }
        ++i;
      }
      c.advance(uint64_t(p - s));
      if (!slow) continue;
    }
    // Slow path: one element through the checked header reader.
    MsgHead h;
    switch (read_head(c, h)) {
      case HeadStatus::eof:
        return {WalkStatus::eof, i, h.offset};
      case HeadStatus::bad_byte:
        return {WalkStatus::bad_byte, i, h.offset};
      case HeadStatus::ok:
        break;
    }
    if (h.is_number()) {
      on_num(i, h.type, h.as_double(), h.offset);
      ++i;
      continue;
    }
    on_other(i, h);
    if (h.type == MsgType::str || h.type == MsgType::bin || h.type == MsgType::ext) {
      if (!container_fits(h, c.remaining())) return {WalkStatus::length, i, h.offset};
      c.advance(h.len);
    } else if (h.type == MsgType::array || h.type == MsgType::map) {
      if (!container_fits(h, c.remaining())) return {WalkStatus::length, i, h.offset};
      if (depth + 1 > c.max_depth) return {WalkStatus::depth, i, h.offset};
      auto r = skip_items(c, h.type == MsgType::map ? h.len * 2 : h.len, depth + 2);
      if (r.status != WalkStatus::ok) return {r.status, i, r.fail_offset};
    }
    ++i;
  }
  return {WalkStatus::ok, i, 0};
}

}  // namespace ckpt::ttml
