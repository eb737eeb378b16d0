#include "zip_member.hpp"

#include <zlib.h>

#include <algorithm>
#include <mutex>

#include "torch_codes.hpp"

namespace ckpt::torch {

namespace {

constexpr size_t kChunk = 64 * 1024;

// A stored member: reads go straight to the parent at the member's data offset.
class WindowSource final : public ByteSource {
 public:
  WindowSource(const ByteSource& parent, uint64_t base, uint64_t size, std::string name)
      : parent_(parent), base_(base), size_(size), name_(std::move(name)) {}
  uint64_t size() const override { return size_; }
  const std::string& name() const override { return name_; }

 protected:
  bool read_raw(uint64_t offset, void* dst, size_t length) const override {
    return parent_.read(base_ + offset, dst, length);
  }

 private:
  const ByteSource& parent_;
  uint64_t base_, size_;
  std::string name_;
};

// A raw deflate stream over [begin, begin + length) of the parent, inflated on demand.
class Inflater {
 public:
  Inflater(const ByteSource& parent, uint64_t begin, uint64_t length)
      : parent_(parent), begin_(begin), length_(length), in_(kChunk) {
    ok_ = inflateInit2(&zs_, -MAX_WBITS) == Z_OK;
  }
  ~Inflater() {
    if (ok_) inflateEnd(&zs_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  enum class State { running, ended, error };
  State state() const { return state_; }
  uint64_t produced() const { return produced_; }

  void restart() {
    if (ok_) inflateReset(&zs_);
    zs_.avail_in = 0;
    consumed_ = 0;
    produced_ = 0;
    state_ = ok_ ? State::running : State::error;
  }

  // Inflates up to n bytes into dst; fewer only at the stream's end or on an error.
  size_t produce(uint8_t* dst, size_t n) {
    size_t got = 0;
    if (!ok_) state_ = State::error;
    while (got < n && state_ == State::running) {
      if (zs_.avail_in == 0 && !refill()) break;
      zs_.next_out = dst + got;
      zs_.avail_out = uInt(std::min<size_t>(n - got, kChunk));
      uInt before = zs_.avail_out;
      int rc = inflate(&zs_, Z_NO_FLUSH);
      got += before - zs_.avail_out;
      if (rc == Z_STREAM_END)
        state_ = State::ended;
      else if (rc != Z_OK && rc != Z_BUF_ERROR)
        state_ = State::error;
      else if (rc == Z_BUF_ERROR && zs_.avail_in == 0 && consumed_ == length_)
        state_ = State::error;  // cut short
    }
    produced_ += got;
    return got;
  }

 private:
  bool refill() {
    if (consumed_ >= length_) {
      state_ = State::error;  // compressed data ended inside the stream
      return false;
    }
    size_t n = size_t(std::min<uint64_t>(kChunk, length_ - consumed_));
    if (!parent_.read(begin_ + consumed_, in_.data(), n)) {
      state_ = State::error;
      return false;
    }
    consumed_ += n;
    zs_.next_in = in_.data();
    zs_.avail_in = uInt(n);
    return true;
  }

  const ByteSource& parent_;
  uint64_t begin_, length_;
  std::vector<uint8_t> in_;
  z_stream zs_{};
  bool ok_ = false;
  uint64_t consumed_ = 0;
  uint64_t produced_ = 0;
  State state_ = State::running;
};

// A deflated member: sequential reads continue the stream, a read behind restarts it.
class InflateSource final : public ByteSource {
 public:
  InflateSource(const ByteSource& parent, const ZipEntry& e, std::string name)
      : inflater_(parent, e.data_offset, e.compressed_size), size_(e.uncompressed_size), name_(std::move(name)) {}
  uint64_t size() const override { return size_; }
  const std::string& name() const override { return name_; }

 protected:
  bool read_raw(uint64_t offset, void* dst, size_t length) const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (offset < inflater_.produced()) inflater_.restart();
    std::vector<uint8_t> scratch;
    while (inflater_.produced() < offset) {
      if (scratch.empty()) scratch.resize(kChunk);
      size_t want = size_t(std::min<uint64_t>(kChunk, offset - inflater_.produced()));
      if (inflater_.produce(scratch.data(), want) != want) return false;
    }
    return inflater_.produce(static_cast<uint8_t*>(dst), length) == length;
  }

 private:
  mutable std::mutex mu_;
  mutable Inflater inflater_;
  uint64_t size_;
  std::string name_;
};

Error member_error(std::string_view code, const ZipEntry& e, const std::string& why) {
  return Error{ErrorCode::io_read, "member " + e.name + ": " + why, e.local_header_offset, std::string(code)};
}

}  // namespace

Result<std::unique_ptr<ByteSource>> open_member(const ByteSource& parent, const ZipEntry& e) {
  if (!e.local_ok || !e.data_in_file) return member_error(errc::zip_member_range, e, "data is not inside the file");
  if (e.encrypted()) return member_error(errc::zip_unsupported_method, e, "encrypted");
  std::string name = parent.name() + ":" + e.name;
  if (e.method == 0) {
    if (e.compressed_size != e.uncompressed_size)
      return member_error(errc::zip_member_range, e, "stored with two different sizes");
    return std::unique_ptr<ByteSource>(new WindowSource(parent, e.data_offset, e.compressed_size, std::move(name)));
  }
  if (e.method == 8) return std::unique_ptr<ByteSource>(new InflateSource(parent, e, std::move(name)));
  return member_error(errc::zip_unsupported_method, e, "compression method " + std::to_string(e.method));
}

std::vector<Finding> verify_member(const ByteSource& parent, const ZipEntry& e) {
  std::vector<Finding> out;
  if (!e.local_ok || !e.data_in_file || e.encrypted() || (e.method != 0 && e.method != 8)) return out;
  std::vector<uint8_t> buf(kChunk);
  uLong crc = crc32(0L, Z_NULL, 0);
  uint64_t total = 0;
  if (e.method == 0) {
    for (uint64_t at = 0; at < e.compressed_size;) {
      size_t n = size_t(std::min<uint64_t>(kChunk, e.compressed_size - at));
      if (!parent.read(e.data_offset + at, buf.data(), n)) break;
      crc = crc32(crc, buf.data(), uInt(n));
      at += n;
      total += n;
    }
  } else {
    Inflater inf(parent, e.data_offset, e.compressed_size);
    // One byte past the declared size is enough to know the member is longer.
    while (inf.state() == Inflater::State::running && total <= e.uncompressed_size) {
      size_t want = size_t(std::min<uint64_t>(kChunk, e.uncompressed_size + 1 - total));
      size_t n = inf.produce(buf.data(), want);
      crc = crc32(crc, buf.data(), uInt(n));
      total += n;
      if (n == 0) break;
    }
    if (inf.state() == Inflater::State::error) {
      out.push_back(make_finding(rules::zip_inflate_error,
                                 "deflate stream corrupt or cut after " + std::to_string(total) + " bytes",
                                 e.data_offset, e.name));
      return out;
    }
  }
  if (total != e.uncompressed_size) {
    out.push_back(make_finding(rules::zip_size_mismatch,
                               (total > e.uncompressed_size ? "more than " : "") + std::to_string(total) +
                                   " bytes, the directory says " + std::to_string(e.uncompressed_size),
                               e.data_offset, e.name));
    return out;
  }
  if (uint32_t(crc) != e.crc32) {
    char buf_msg[64];
    std::snprintf(buf_msg, sizeof buf_msg, "CRC-32 %08x, the directory says %08x", unsigned(crc), unsigned(e.crc32));
    out.push_back(make_finding(rules::zip_crc_mismatch, buf_msg, e.data_offset, e.name));
  }
  return out;
}

}  // namespace ckpt::torch
