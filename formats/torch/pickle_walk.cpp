// The opcode walk behind opcode_at: each opcode's argument length from pickletools'
// argument descriptors (fixed widths, counted strings, newline-terminated text).
#include "pickle_walk.hpp"

#include <string>

#include "byte_cursor.hpp"
#include "pickle_opcodes.hpp"

namespace ckpt::torch {

namespace {

enum class Arg { none, fixed, count1, count4, count8, line, two_lines, unknown };

struct ArgShape {
  Arg kind = Arg::unknown;
  uint32_t width = 0;  // fixed: bytes of the argument
};

ArgShape arg_shape(uint8_t c) {
  using namespace op;
  switch (c) {
    case BININT1:
    case BINGET:
    case BINPUT:
    case PROTO:
    case EXT1:
      return {Arg::fixed, 1};
    case BININT2:
    case EXT2:
      return {Arg::fixed, 2};
    case BININT:
    case LONG_BINGET:
    case LONG_BINPUT:
    case EXT4:
      return {Arg::fixed, 4};
    case BINFLOAT:
    case FRAME:
      return {Arg::fixed, 8};
    case FLOAT:
    case INT:
    case LONG:
    case PERSID:
    case STRING:
    case UNICODE:
    case GET:
    case PUT:
      return {Arg::line};
    case GLOBAL:
    case INST:
      return {Arg::two_lines};
    case SHORT_BINSTRING:
    case SHORT_BINBYTES:
    case SHORT_BINUNICODE:
    case LONG1:
      return {Arg::count1};
    case BINSTRING:
    case BINUNICODE:
    case BINBYTES:
    case LONG4:
      return {Arg::count4};
    case BINUNICODE8:
    case BINBYTES8:
    case BYTEARRAY8:
      return {Arg::count8};
    default:
      return {op::name(c).empty() ? Arg::unknown : Arg::none};
  }
}

}  // namespace

std::optional<OpcodeSpan> opcode_at(const ByteSource& src, uint64_t begin, uint64_t end, uint64_t offset) {
  if (offset < begin || offset >= end) return std::nullopt;
  ByteCursor cur(src, begin, end);
  std::string line;
  while (cur.position() <= offset) {
    OpcodeSpan s;
    s.offset = cur.position();
    if (!cur.read_u8(s.opcode)) return std::nullopt;
    const ArgShape a = arg_shape(s.opcode);
    s.argument_offset = cur.position();
    switch (a.kind) {
      case Arg::unknown:
        return std::nullopt;
      case Arg::none:
        break;
      case Arg::fixed:
        if (!cur.skip(a.width)) return std::nullopt;
        break;
      case Arg::line:
      case Arg::two_lines:
        for (int k = 0; k < (a.kind == Arg::line ? 1 : 2); ++k)
          if (cur.read_line(line, size_t(1) << 20) != ByteCursor::Line::ok) return std::nullopt;
        break;
      case Arg::count1:
      case Arg::count4:
      case Arg::count8: {
        const size_t w = a.kind == Arg::count1 ? 1 : a.kind == Arg::count4 ? 4 : 8;
        uint8_t b[8] = {};
        if (!cur.read(b, w)) return std::nullopt;
        uint64_t n = 0;
        for (size_t k = w; k-- > 0;) n = n << 8 | b[k];
        // BINSTRING and LONG4 counts are signed: a negative one breaks the stream.
        if (w == 4 && (s.opcode == op::BINSTRING || s.opcode == op::LONG4) && (n & 0x80000000u)) return std::nullopt;
        s.argument_offset = cur.position();
        if (!cur.skip(n)) return std::nullopt;
        break;
      }
    }
    s.length = cur.position() - s.offset;
    if (offset < cur.position()) return s;
    if (s.opcode == op::STOP) return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace ckpt::torch
