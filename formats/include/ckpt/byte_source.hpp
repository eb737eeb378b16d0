#pragma once
// One checked cursor over a file: every read of file bytes in the library goes through
// ByteSource::read, which refuses any range that is not entirely inside the file.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ckpt/result.hpp"

namespace ckpt {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Copies [offset, offset+length) into dst. Returns false, reading nothing, when the
  // range is not entirely inside the source or the read fails.
  bool read(uint64_t offset, void* dst, size_t length) const;
  // Copies as much of [offset, offset+length) as exists; returns the bytes copied.
  size_t read_available(uint64_t offset, void* dst, size_t length) const;
  // Bytes delivered so far: lets tests prove that header-only work reads only the header.
  uint64_t bytes_read() const { return bytes_read_.load(); }
  virtual const std::string& name() const = 0;

 protected:
  virtual bool read_raw(uint64_t offset, void* dst, size_t length) const = 0;

 private:
  mutable std::atomic<uint64_t> bytes_read_{0};  // reads may come from several threads
};

// A regular file read with pread: memory use does not depend on the file size.
class FileSource final : public ByteSource {
 public:
  // Opens path read-only. Fails with code "io.open" (missing, permission, a directory).
  static Result<std::unique_ptr<FileSource>> open(const std::string& path);
  ~FileSource() override;
  uint64_t size() const override { return size_; }
  const std::string& name() const override { return path_; }
  int fd() const { return fd_; }
  // Device and inode, so a writer can refuse to replace an input reached through a link.
  uint64_t device() const { return dev_; }
  uint64_t inode() const { return ino_; }

 protected:
  bool read_raw(uint64_t offset, void* dst, size_t length) const override;

 private:
  FileSource(std::string path, int fd, uint64_t size, uint64_t dev, uint64_t ino)
      : path_(std::move(path)), fd_(fd), size_(size), dev_(dev), ino_(ino) {}
  std::string path_;
  int fd_;
  uint64_t size_;
  uint64_t dev_, ino_;
};

// Bytes held in memory: fixtures built in tests and fuzzer inputs.
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::vector<uint8_t> bytes, std::string name = "<memory>")
      : bytes_(std::move(bytes)), name_(std::move(name)) {}
  uint64_t size() const override { return bytes_.size(); }
  const std::string& name() const override { return name_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 protected:
  bool read_raw(uint64_t offset, void* dst, size_t length) const override;

 private:
  std::vector<uint8_t> bytes_;
  std::string name_;
};

}  // namespace ckpt
