#pragma once
// A small buffered, bounded forward cursor over a ByteSource window [begin, end): the
// unpickler reads opcode by opcode, and one ByteSource::read per byte would cost a
// virtual call and a pread each. The buffer is fixed (64 KiB); a long argument is read
// straight into its destination, never through a buffer sized by the file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ckpt/byte_source.hpp"

namespace ckpt::torch {

class ByteCursor {
 public:
  // end is clamped to the source's size.
  ByteCursor(const ByteSource& src, uint64_t begin, uint64_t end);

  uint64_t position() const { return pos_; }
  uint64_t end() const { return end_; }
  uint64_t remaining() const { return end_ - pos_; }

  // Copies n bytes and advances; false (position unchanged) when fewer than n remain
  // or the source fails.
  bool read(void* dst, size_t n);
  bool read_u8(uint8_t& v) { return read(&v, 1); }
  // Advances by n; false (unchanged) when fewer than n remain.
  bool skip(uint64_t n);

  enum class Line { ok, truncated, too_long };
  // Reads up to and including '\n' into out (without the '\n'). A line longer than max
  // bytes is too_long; no '\n' before the end is truncated. Position is past what was read.
  Line read_line(std::string& out, size_t max);

 private:
  bool fill();  // refills the buffer at pos_; false when nothing is left or the read fails

  const ByteSource& src_;
  uint64_t pos_;
  uint64_t end_;
  std::vector<uint8_t> buf_;
  uint64_t buf_begin_ = 0;  // file offset of buf_[0]
  size_t buf_len_ = 0;      // valid bytes in buf_
};

}  // namespace ckpt::torch
