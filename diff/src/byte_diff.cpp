// --bytes: the two files compared byte by byte in bounded chunks; runs of differing
// bytes become ranges, the first few mapped through locate() in both files.
#include <algorithm>
#include <cstring>

#include "ckpt/diff.hpp"

namespace ckpt {

namespace {

constexpr size_t kChunk = size_t(4) << 20;

class RangeCollector {
 public:
  RangeCollector(ByteDiff& out, const Checkpoint& ca, const Checkpoint& cb, uint64_t max_report)
      : out_(out), ca_(ca), cb_(cb), max_(max_report) {}
  // Adds differing bytes [lo, hi); extends the open range when they touch it.
  void add(uint64_t lo, uint64_t hi) {
    if (open_ && lo == end_) {
      end_ = hi;
      return;
    }
    close();
    open_ = true;
    start_ = lo;
    end_ = hi;
  }
  void close() {
    if (!open_) return;
    open_ = false;
    ++out_.ranges;
    if (out_.first_ranges.size() >= max_) return;
    ByteRange r;
    r.offset = start_;
    r.length = end_ - start_;
    r.a_first = locate(ca_, start_);
    r.b_first = locate(cb_, start_);
    r.a_last = locate(ca_, end_ - 1);
    r.b_last = locate(cb_, end_ - 1);
    out_.first_ranges.push_back(std::move(r));
  }

 private:
  ByteDiff& out_;
  const Checkpoint &ca_, &cb_;
  uint64_t max_;
  bool open_ = false;
  uint64_t start_ = 0, end_ = 0;
};

}  // namespace

Result<ByteDiff> diff_bytes(const Checkpoint& ca, const Checkpoint& cb, uint64_t max_report,
                            const DiffProgress& progress) {
  const ByteSource &a = ca.source(), &b = cb.source();
  ByteDiff out;
  out.size_a = a.size();
  out.size_b = b.size();
  out.compared = std::min(out.size_a, out.size_b);
  RangeCollector ranges(out, ca, cb, max_report);
  // Buffers no larger than the bytes to compare: small files stay cheap.
  const size_t buf = size_t(std::min<uint64_t>(kChunk, std::max<uint64_t>(out.compared, 1)));
  std::vector<uint8_t> x(buf), y(buf);
  for (uint64_t off = 0; off < out.compared; off += kChunk) {
    const size_t n = size_t(std::min<uint64_t>(kChunk, out.compared - off));
    if (!a.read(off, x.data(), n))
      return Error{ErrorCode::io_read, "cannot read " + a.name() + " at byte " + std::to_string(off), off};
    if (!b.read(off, y.data(), n))
      return Error{ErrorCode::io_read, "cannot read " + b.name() + " at byte " + std::to_string(off), off};
    if (std::memcmp(x.data(), y.data(), n) != 0) {
      // Walk 64-byte lines, bytes only inside the lines that differ.
      for (size_t line = 0; line < n; line += 64) {
        const size_t k = std::min<size_t>(64, n - line);
        if (std::memcmp(x.data() + line, y.data() + line, k) == 0) continue;
        for (size_t i = line; i < line + k; ++i) {
          if (x[i] == y[i]) continue;
          ++out.differing;
          ranges.add(off + i, off + i + 1);
        }
      }
    }
    if (progress) progress(off + n, out.compared);
  }
  // Bytes past the end of the shorter file differ as a whole.
  if (out.size_a != out.size_b) ranges.add(out.compared, std::max(out.size_a, out.size_b));
  ranges.close();
  return out;
}

}  // namespace ckpt
