#pragma once
// Internal: a bounded msgpack tokenizer over a ByteSource. msgpack-c's parse/visitor API
// needs the whole buffer in memory, so a multi-GB file would need a multi-GB buffer (or
// a mapping); this cursor reads a fixed window instead, so memory never depends on the
// file size, and every length read from the file is checked against the bytes that
// remain before anything is done with it.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/limits.hpp"
#include "msgpack_model.hpp"

namespace ckpt::ttml {

class MsgCursor {
 public:
  // Reads [start, src.size()) through a window of `window` bytes.
  MsgCursor(const ByteSource& src, uint64_t start, size_t window = size_t(1) << 20)
      // The window never exceeds what is left to read: small files stay cheap to open.
      : src_(src),
        size_(src.size()),
        pos_(start),
        buf_(size_t(std::max<uint64_t>(1, std::min<uint64_t>(window, start < size_ ? size_ - start : 0)))) {}

  // Containers nested deeper than this are refused (OpenLimits::max_msgpack_depth).
  size_t max_depth = OpenLimits{}.max_msgpack_depth;

  uint64_t pos() const { return pos_; }
  uint64_t size() const { return size_; }
  uint64_t remaining() const { return pos_ < size_ ? size_ - pos_ : 0; }
  bool io_error() const { return io_error_; }

  // Makes n bytes from pos() available through data(); false when fewer remain in the
  // file (or a read fails). n must not exceed the window.
  bool need(size_t n) {
    if (pos_ >= buf_start_ && pos_ - buf_start_ + n <= buf_len_) return true;
    if (n > remaining() || n > buf_.size()) return false;
    const uint64_t len = std::min<uint64_t>(buf_.size(), remaining());
    if (!src_.read(pos_, buf_.data(), size_t(len))) {
      io_error_ = true;
      return false;
    }
    buf_start_ = pos_;
    buf_len_ = size_t(len);
    return true;
  }
  const uint8_t* data() const { return buf_.data() + (pos_ - buf_start_); }
  // Bytes available in the window from pos() (0 when pos is outside it).
  size_t buffered() const {
    return pos_ >= buf_start_ && pos_ - buf_start_ < buf_len_ ? size_t(buf_len_ - (pos_ - buf_start_)) : 0;
  }
  void advance(uint64_t n) { pos_ += n; }
  void seek(uint64_t p) { pos_ = p; }

  // Copies n bytes at pos() into out and advances; false when they are not in the file.
  bool take(size_t n, std::vector<uint8_t>& out) {
    out.resize(n);
    size_t done = 0;
    while (done < n) {
      const size_t chunk = std::min(n - done, buf_.size());
      if (!need(chunk)) return false;
      std::memcpy(out.data() + done, data(), chunk);
      advance(chunk);
      done += chunk;
    }
    return true;
  }

 private:
  const ByteSource& src_;
  uint64_t size_;
  uint64_t pos_;
  std::vector<uint8_t> buf_;
  uint64_t buf_start_ = 0;
  size_t buf_len_ = 0;
  bool io_error_ = false;
};

// One msgpack header: the type, and its value (scalars) or length (str, bin, ext: bytes;
// array: elements; map: pairs).
struct MsgHead {
  MsgType type = MsgType::invalid;
  uint64_t offset = 0;
  uint32_t head_len = 0;
  uint64_t len = 0;
  uint64_t u = 0;
  int64_t i = 0;
  double d = 0;
  bool b = false;
  double as_double() const {
    switch (type) {
      case MsgType::uint:
        return double(u);
      case MsgType::sint:
        return double(i);
      case MsgType::f32:
      case MsgType::f64:
        return d;
      default:
        return 0;
    }
  }
  bool is_number() const {
    return type == MsgType::uint || type == MsgType::sint || type == MsgType::f32 || type == MsgType::f64;
  }
  bool is_integer() const { return type == MsgType::uint || type == MsgType::sint; }
};

enum class HeadStatus { ok, eof, bad_byte };

// Decodes the header at c.pos() and advances past it (not past str/bin/ext bytes or
// container elements). eof: the header itself is cut by the end of the file.
HeadStatus read_head(MsgCursor& c, MsgHead& h);

// Decodes one header from a buffer holding at least 9 bytes; returns its length, or 0
// for the never-used byte 0xc1. Shared by the cursor and the fast element loops.
uint32_t decode_head(const uint8_t* p, MsgHead& h);

// Header length implied by the first byte (1 + the bytes that follow it in the header).
uint32_t head_length(uint8_t first);

}  // namespace ckpt::ttml
