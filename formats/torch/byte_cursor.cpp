#include "byte_cursor.hpp"

#include <algorithm>
#include <cstring>

namespace ckpt::torch {

namespace {
constexpr size_t kBufferSize = 64 * 1024;
}

ByteCursor::ByteCursor(const ByteSource& src, uint64_t begin, uint64_t end)
    : src_(src), pos_(std::min(begin, src.size())), end_(std::min(end, src.size())) {
  if (end_ < pos_) end_ = pos_;
  // A short window (a nested payload, a small pickle member) needs no 64 KiB buffer.
  buf_.resize(size_t(std::min<uint64_t>(kBufferSize, std::max<uint64_t>(end_ - pos_, 1))));
}

bool ByteCursor::fill() {
  if (pos_ >= end_) return false;
  size_t n = size_t(std::min<uint64_t>(buf_.size(), end_ - pos_));
  if (!src_.read(pos_, buf_.data(), n)) return false;
  buf_begin_ = pos_;
  buf_len_ = n;
  return true;
}

bool ByteCursor::read(void* dst, size_t n) {
  if (n > remaining()) return false;
  if (n == 0) return true;  // dst may be null (an empty vector's data())
  auto* out = static_cast<uint8_t*>(dst);
  uint64_t pos = pos_;
  // What the buffer holds at pos, then the rest straight from the source.
  if (pos >= buf_begin_ && pos < buf_begin_ + buf_len_) {
    size_t have = size_t(buf_begin_ + buf_len_ - pos);
    size_t take = std::min(have, n);
    std::memcpy(out, buf_.data() + (pos - buf_begin_), take);
    out += take;
    pos += take;
    n -= take;
  }
  if (n == 0) {
    pos_ = pos;
    return true;
  }
  if (n >= buf_.size() / 2) {
    if (!src_.read(pos, out, n)) return false;
    pos_ = pos + n;
    return true;
  }
  uint64_t saved = pos_;
  pos_ = pos;
  if (!fill() || buf_len_ < n) {
    pos_ = saved;
    return false;
  }
  std::memcpy(out, buf_.data(), n);
  pos_ = pos + n;
  return true;
}

bool ByteCursor::skip(uint64_t n) {
  if (n > remaining()) return false;
  pos_ += n;
  return true;
}

ByteCursor::Line ByteCursor::read_line(std::string& out, size_t max) {
  out.clear();
  while (true) {
    if (!(pos_ >= buf_begin_ && pos_ < buf_begin_ + buf_len_) && !fill()) return Line::truncated;
    const uint8_t* p = buf_.data() + (pos_ - buf_begin_);
    size_t have = size_t(buf_begin_ + buf_len_ - pos_);
    const void* nl = std::memchr(p, '\n', have);
    size_t take = nl ? size_t(static_cast<const uint8_t*>(nl) - p) : have;
    if (out.size() + take > max) {
      pos_ += take;
      return Line::too_long;
    }
    out.append(reinterpret_cast<const char*>(p), take);
    pos_ += take;
    if (nl) {
      pos_ += 1;
      return Line::ok;
    }
  }
}

}  // namespace ckpt::torch
