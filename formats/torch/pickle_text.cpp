#include "pickle_text.hpp"

#include <charconv>

namespace ckpt::torch {

IntText parse_decimal(std::string_view s, int64_t& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return IntText::invalid;
  size_t digits_from = s[0] == '-' ? 1 : 0;
  if (digits_from == s.size()) return IntText::invalid;
  for (size_t i = digits_from; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return IntText::invalid;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec == std::errc::result_out_of_range) return IntText::too_big;
  if (ec != std::errc() || p != s.data() + s.size()) return IntText::invalid;
  return IntText::ok;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool read_hex(std::string_view s, size_t& i, size_t n, uint32_t& v) {
  if (s.size() - i < n) return false;
  v = 0;
  for (size_t k = 0; k < n; ++k) {
    int h = hex_value(s[i + k]);
    if (h < 0) return false;
    v = v * 16 + uint32_t(h);
  }
  i += n;
  return true;
}

char simple_escape(char c) {
  switch (c) {
    case '\\':
      return '\\';
    case '\'':
      return '\'';
    case '"':
      return '"';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'a':
      return '\a';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'v':
      return '\v';
    default:
      return 0;
  }
}

}  // namespace

bool decode_string_escape(std::string_view q, std::string& out) {
  if (q.size() < 2 || q.front() != q.back() || (q.front() != '\'' && q.front() != '"')) return false;
  std::string_view s = q.substr(1, q.size() - 2);
  out.clear();
  for (size_t i = 0; i < s.size();) {
    char c = s[i++];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (i == s.size()) return false;  // a lone trailing backslash
    char e = s[i++];
    if (e == '\n') continue;
    if (char v = simple_escape(e)) {
      out.push_back(v);
    } else if (e == 'x') {
      uint32_t v;
      if (!read_hex(s, i, 2, v)) return false;
      out.push_back(char(v));
    } else if (e >= '0' && e <= '7') {
      uint32_t v = uint32_t(e - '0');
      for (int k = 0; k < 2 && i < s.size() && s[i] >= '0' && s[i] <= '7'; ++k) v = v * 8 + uint32_t(s[i++] - '0');
      out.push_back(char(v & 0xFF));
    } else {
      out.push_back('\\');  // Python keeps unknown escapes as they are
      out.push_back(e);
    }
  }
  return true;
}

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

bool decode_raw_unicode_escape(std::string_view s, std::string& out) {
  out.clear();
  for (size_t i = 0; i < s.size();) {
    uint8_t c = uint8_t(s[i++]);
    if (c == '\\' && i < s.size() && (s[i] == 'u' || s[i] == 'U')) {
      size_t n = s[i] == 'u' ? 4 : 8;
      ++i;
      uint32_t cp;
      if (!read_hex(s, i, n, cp) || cp > 0x10FFFF) return false;
      append_utf8(cp, out);
    } else {
      append_utf8(c, out);
    }
  }
  return true;
}

bool valid_utf8(std::string_view s, bool allow_surrogates) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = uint8_t(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else
      return false;
    if (s.size() - i - 1 < n) return false;
    for (size_t k = 1; k <= n; ++k) {
      uint8_t d = uint8_t(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static constexpr uint32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF) return false;  // overlong or out of range
    if (!allow_surrogates && cp >= 0xD800 && cp <= 0xDFFF) return false;
    i += n + 1;
  }
  return true;
}

std::string py_repr(std::string_view s, size_t max) {
  std::string out = "'";
  for (size_t i = 0; i < s.size(); ++i) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    uint8_t c = uint8_t(s[i]);
    if (c == '\'' || c == '\\') {
      out.push_back('\\');
      out.push_back(char(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7F || c >= 0x80) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(char(c));
    }
  }
  out.push_back('\'');
  return out;
}

}  // namespace ckpt::torch
