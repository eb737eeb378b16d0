// The msgpack header decoder of the bounded tokenizer (see msgpack_cursor.hpp).
#include "msgpack_cursor.hpp"

#include <cstring>

namespace ckpt::ttml {

std::string_view msg_type_name(MsgType t) {
  switch (t) {
    case MsgType::nil:
      return "nil";
    case MsgType::boolean:
      return "bool";
    case MsgType::uint:
      return "uint";
    case MsgType::sint:
      return "int";
    case MsgType::f32:
      return "float32";
    case MsgType::f64:
      return "float64";
    case MsgType::str:
      return "str";
    case MsgType::bin:
      return "bin";
    case MsgType::ext:
      return "ext";
    case MsgType::array:
      return "array";
    case MsgType::map:
      return "map";
    case MsgType::invalid:
      return "invalid";
  }
  return "invalid";
}

std::string_view ttml_era_name(TtmlEra e) {
  switch (e) {
    case TtmlEra::undecided:
      return "undecided";
    case TtmlEra::y2024:
      return "2024";
    case TtmlEra::y2025:
      return "2025";
  }
  return "undecided";
}

}  // namespace ckpt::ttml

namespace ckpt::ttml {

namespace {
// msgpack stores multi-byte values big-endian.
inline uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
inline uint64_t be64(const uint8_t* p) { return uint64_t(be32(p)) << 32 | be32(p + 4); }
}  // namespace

// The two tables below are one line per msgpack header form, as in the spec.
// clang-format off
uint32_t head_length(uint8_t b) {
  if (b <= 0x7f || b >= 0xe0 || (b >= 0x80 && b <= 0xbf)) return 1;  // fixint, fixmap/array/str
  switch (b) {
    case 0xc0: case 0xc2: case 0xc3: return 1;
    case 0xc4: case 0xd9: case 0xcc: case 0xd0: return 2;
    case 0xc5: case 0xda: case 0xcd: case 0xd1: case 0xdc: case 0xde: return 3;
    case 0xc6: case 0xdb: case 0xce: case 0xd2: case 0xca: case 0xdd: case 0xdf: return 5;
    case 0xcf: case 0xd3: case 0xcb: return 9;
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: return 2;  // fixext: type byte
    case 0xc7: return 3;
    case 0xc8: return 4;
    case 0xc9: return 6;
    default: return 0;  // 0xc1: never used
  }
}

uint32_t decode_head(const uint8_t* p, MsgHead& h) {
  const uint8_t b = p[0];
  h.len = 0;
  if (b <= 0x7f) { h.type = MsgType::uint; h.u = b; return 1; }
  if (b >= 0xe0) { h.type = MsgType::sint; h.i = int8_t(b); return 1; }
  if (b <= 0x8f) { h.type = MsgType::map; h.len = b & 0x0f; return 1; }
  if (b <= 0x9f) { h.type = MsgType::array; h.len = b & 0x0f; return 1; }
  if (b <= 0xbf) { h.type = MsgType::str; h.len = b & 0x1f; return 1; }
  switch (b) {
    case 0xc0: h.type = MsgType::nil; return 1;
    case 0xc2: h.type = MsgType::boolean; h.b = false; return 1;
    case 0xc3: h.type = MsgType::boolean; h.b = true; return 1;
    case 0xc4: h.type = MsgType::bin; h.len = p[1]; return 2;
    case 0xc5: h.type = MsgType::bin; h.len = be16(p + 1); return 3;
    case 0xc6: h.type = MsgType::bin; h.len = be32(p + 1); return 5;
    case 0xc7: h.type = MsgType::ext; h.len = p[1]; return 3;
    case 0xc8: h.type = MsgType::ext; h.len = be16(p + 1); return 4;
    case 0xc9: h.type = MsgType::ext; h.len = be32(p + 1); return 6;
    case 0xca: {
      h.type = MsgType::f32;
      const uint32_t u = be32(p + 1);
      float f;
      std::memcpy(&f, &u, 4);
      h.d = f;
      return 5;
    }
    case 0xcb: {
      h.type = MsgType::f64;
      const uint64_t u = be64(p + 1);
      std::memcpy(&h.d, &u, 8);
      return 9;
    }
    case 0xcc: h.type = MsgType::uint; h.u = p[1]; return 2;
    case 0xcd: h.type = MsgType::uint; h.u = be16(p + 1); return 3;
    case 0xce: h.type = MsgType::uint; h.u = be32(p + 1); return 5;
    case 0xcf: h.type = MsgType::uint; h.u = be64(p + 1); return 9;
    case 0xd0: h.type = MsgType::sint; h.i = int8_t(p[1]); return 2;
    case 0xd1: h.type = MsgType::sint; h.i = int16_t(be16(p + 1)); return 3;
    case 0xd2: h.type = MsgType::sint; h.i = int32_t(be32(p + 1)); return 5;
    case 0xd3: h.type = MsgType::sint; h.i = int64_t(be64(p + 1)); return 9;
    case 0xd4: h.type = MsgType::ext; h.len = 1; return 2;
    case 0xd5: h.type = MsgType::ext; h.len = 2; return 2;
    case 0xd6: h.type = MsgType::ext; h.len = 4; return 2;
    case 0xd7: h.type = MsgType::ext; h.len = 8; return 2;
    case 0xd8: h.type = MsgType::ext; h.len = 16; return 2;
    case 0xd9: h.type = MsgType::str; h.len = p[1]; return 2;
    case 0xda: h.type = MsgType::str; h.len = be16(p + 1); return 3;
    case 0xdb: h.type = MsgType::str; h.len = be32(p + 1); return 5;
    case 0xdc: h.type = MsgType::array; h.len = be16(p + 1); return 3;
    case 0xdd: h.type = MsgType::array; h.len = be32(p + 1); return 5;
    case 0xde: h.type = MsgType::map; h.len = be16(p + 1); return 3;
    case 0xdf: h.type = MsgType::map; h.len = be32(p + 1); return 5;
    default: h.type = MsgType::invalid; return 0;
  }
}
// clang-format on

HeadStatus read_head(MsgCursor& c, MsgHead& h) {
  h.offset = c.pos();
  if (!c.need(1)) return HeadStatus::eof;
  const uint32_t n = head_length(c.data()[0]);
  if (n == 0) {
    h.type = MsgType::invalid;
    return HeadStatus::bad_byte;
  }
  if (!c.need(n)) return HeadStatus::eof;
  // decode_head may look at up to 9 bytes: give it a padded copy near the file end.
  uint8_t tmp[9] = {};
  std::memcpy(tmp, c.data(), n);
  h.head_len = decode_head(tmp, h);
  c.advance(h.head_len);
  return HeadStatus::ok;
}

}  // namespace ckpt::ttml
