// Numbers and strings: the opcodes that push one scalar.
#include <charconv>
#include <cstring>

#include "pickle_machine.hpp"
#include "pickle_opcodes.hpp"
#include "pickle_text.hpp"

namespace ckpt::torch {

namespace {
std::string quote_arg(const std::string& line) { return py_repr(line, 32); }
}  // namespace

bool Machine::push_int(int64_t v) {
  uint32_t o = new_object(PyKind::integer);
  if (o == kNoObject) return false;
  out_.graph.objects[o].i = v;
  return push(o);
}

bool Machine::push_bool(bool v) {
  uint32_t o = new_object(PyKind::boolean);
  if (o == kNoObject) return false;
  out_.graph.objects[o].i = v ? 1 : 0;
  return push(o);
}

bool Machine::push_str(std::string text, uint64_t data_offset, uint64_t length) {
  uint32_t o = new_object(PyKind::str);
  if (o == kNoObject) return false;
  PyObj& obj = out_.graph.objects[o];
  obj.text = std::move(text);
  obj.data_offset = data_offset;
  obj.data_length = length;
  return push(o);
}

// BININT1 and BININT2 are unsigned; BININT, the 4-byte form, is signed.
bool Machine::op_binint(size_t width) {
  if (width == 1) {
    uint8_t v;
    return read_le(v) && push_int(v);
  }
  if (width == 2) {
    uint16_t v;
    return read_le(v) && push_int(v);
  }
  int32_t v;
  return read_le(v) && push_int(v);
}

// LONG1/LONG4: little-endian two's complement of n bytes.
bool Machine::op_long_bin(size_t width) {
  uint64_t n = 0;
  if (width == 1) {
    uint8_t v;
    if (!read_le(v)) return false;
    n = v;
  } else {
    int32_t v;
    if (!read_le(v)) return false;
    if (v < 0) {
      fail(rules::pickle_bad_argument, "negative byte count " + std::to_string(v));
      return false;
    }
    n = uint64_t(v);
  }
  if (n > lim_.max_string) {
    fail(rules::pickle_limit_string, "integer of " + std::to_string(n) + " bytes");
    return false;
  }
  if (n > cur_.remaining()) {
    fail(cut_by_byte_limit_ ? rules::pickle_limit_bytes : rules::pickle_truncated,
         "integer of " + std::to_string(n) + " bytes runs past the end");
    return false;
  }
  std::string bytes(size_t(n), '\0');
  if (!read_bytes(bytes.data(), bytes.size())) return false;
  // Fits int64 when every byte past the eighth repeats the sign.
  bool negative = n > 0 && (uint8_t(bytes[n - 1]) & 0x80);
  bool fits = true;
  for (size_t k = 8; k < n; ++k) fits = fits && uint8_t(bytes[k]) == (negative ? 0xFF : 0x00);
  if (fits && n > 8) fits = ((uint8_t(bytes[7]) & 0x80) != 0) == negative;
  if (fits) {
    uint64_t u = negative ? ~0ull : 0;
    for (size_t k = 0; k < std::min<uint64_t>(n, 8); ++k) {
      u &= ~(0xFFull << (8 * k));
      u |= uint64_t(uint8_t(bytes[k])) << (8 * k);
    }
    return push_int(int64_t(u));
  }
  uint32_t o = new_object(PyKind::big_integer);
  if (o == kNoObject) return false;
  out_.graph.objects[o].text = std::move(bytes);
  out_.findings.push_back(
      make_finding(rules::pickle_big_int, "integer of " + std::to_string(n) + " bytes", op_offset_));
  return push(o);
}

// INT: "00"/"01" are protocol 0's False/True; anything else a decimal.
bool Machine::op_text_int() {
  std::string line;
  if (!read_line(line)) return false;
  if (line == "00" || line == "01") return push_bool(line == "01");
  int64_t v = 0;
  switch (parse_decimal(line, v)) {
    case IntText::ok:
      return push_int(v);
    case IntText::invalid:
      fail(rules::pickle_bad_argument, quote_arg(line) + " is no decimal integer");
      return false;
    case IntText::too_big:
      break;
  }
  uint32_t o = new_object(PyKind::big_integer);
  if (o == kNoObject) return false;
  out_.graph.objects[o].text = line;
  out_.findings.push_back(
      make_finding(rules::pickle_big_int, "integer of " + std::to_string(line.size()) + " digits", op_offset_));
  return push(o);
}

bool Machine::op_text_long() {
  std::string line;
  if (!read_line(line)) return false;
  if (!line.empty() && line.back() == 'L') line.pop_back();
  int64_t v = 0;
  switch (parse_decimal(line, v)) {
    case IntText::ok:
      return push_int(v);
    case IntText::invalid:
      fail(rules::pickle_bad_argument, quote_arg(line) + " is no decimal integer");
      return false;
    case IntText::too_big:
      break;
  }
  uint32_t o = new_object(PyKind::big_integer);
  if (o == kNoObject) return false;
  out_.graph.objects[o].text = line;
  out_.findings.push_back(
      make_finding(rules::pickle_big_int, "integer of " + std::to_string(line.size()) + " digits", op_offset_));
  return push(o);
}

bool Machine::op_text_float() {
  std::string line;
  if (!read_line(line)) return false;
  double v = 0;
  auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
  if (ec != std::errc() || p != line.data() + line.size() || line.empty()) {
    fail(rules::pickle_bad_argument, quote_arg(line) + " is no float");
    return false;
  }
  uint32_t o = new_object(PyKind::floating);
  if (o == kNoObject) return false;
  out_.graph.objects[o].f = v;
  return push(o);
}

// BINFLOAT is big-endian, unlike every other binary argument.
bool Machine::op_binfloat() {
  uint8_t b[8];
  if (!read_bytes(b, 8)) return false;
  uint64_t u = 0;
  for (int k = 0; k < 8; ++k) u = (u << 8) | b[k];
  double v;
  std::memcpy(&v, &u, 8);
  uint32_t o = new_object(PyKind::floating);
  if (o == kNoObject) return false;
  out_.graph.objects[o].f = v;
  return push(o);
}

// Length-prefixed strings, bytes and bytearrays. Text is kept whole (names and keys
// are needed); bytes keep a prefix, and the object records where the rest lies.
bool Machine::op_counted(size_t width, PyKind kind) {
  uint64_t n = 0;
  if (width == 1) {
    uint8_t v;
    if (!read_le(v)) return false;
    n = v;
  } else if (width == 4) {
    if (op_ == op::BINSTRING) {  // the one signed 4-byte length
      int32_t v;
      if (!read_le(v)) return false;
      if (v < 0) {
        fail(rules::pickle_bad_argument, "negative length " + std::to_string(v));
        return false;
      }
      n = uint64_t(v);
    } else {
      uint32_t v;
      if (!read_le(v)) return false;
      n = v;
    }
  } else {
    if (!read_le(n)) return false;
  }
  const uint64_t cap = kind == PyKind::str || lim_.max_bytes_object == 0 ? lim_.max_string : lim_.max_bytes_object;
  if (n > cap) {
    fail(rules::pickle_limit_string, std::to_string(n) + " bytes, limit " + std::to_string(cap));
    return false;
  }
  if (n > cur_.remaining()) {
    fail(cut_by_byte_limit_ ? rules::pickle_limit_bytes : rules::pickle_truncated,
         std::to_string(n) + " bytes run past the end");
    return false;
  }
  uint64_t data_offset = cur_.position();
  if (kind == PyKind::str) {
    std::string text(size_t(n), '\0');
    if (!read_bytes(text.data(), text.size())) return false;
    bool is_unicode = op_ == op::BINUNICODE || op_ == op::SHORT_BINUNICODE || op_ == op::BINUNICODE8;
    if (is_unicode && !valid_utf8(text, true)) {
      fail(rules::pickle_bad_utf8, "string of " + std::to_string(n) + " bytes is not UTF-8");
      return false;
    }
    return push_str(std::move(text), data_offset, n);
  }
  uint32_t o = new_object(kind);
  if (o == kNoObject) return false;
  size_t keep = size_t(std::min<uint64_t>(n, lim_.keep_bytes));
  std::string prefix(keep, '\0');
  if (!read_bytes(prefix.data(), keep) || !cur_.skip(n - keep)) return false;
  PyObj& obj = out_.graph.objects[o];
  obj.text = std::move(prefix);
  obj.data_offset = data_offset;
  obj.data_length = n;
  return push(o);
}

bool Machine::op_text_string() {
  uint64_t data_offset = cur_.position();
  std::string line, text;
  if (!read_line(line)) return false;
  if (!decode_string_escape(line, text)) {
    fail(rules::pickle_bad_argument, "STRING argument is not a quoted, escaped string");
    return false;
  }
  return push_str(std::move(text), data_offset, line.size());
}

bool Machine::op_text_unicode() {
  uint64_t data_offset = cur_.position();
  std::string line, text;
  if (!read_line(line)) return false;
  if (!decode_raw_unicode_escape(line, text)) {
    fail(rules::pickle_bad_argument, "UNICODE argument has a malformed \\u escape");
    return false;
  }
  return push_str(std::move(text), data_offset, line.size());
}

}  // namespace ckpt::torch
