#pragma once
// A file of a checkpoint folder, opened only for the duration of each read: a folder of a
// few thousand .tensorbin files (a 70B model with its optimizer state) would otherwise
// hold more descriptors than a process may open.
#include <memory>
#include <string>

#include "ckpt/byte_source.hpp"
#include "ckpt/result.hpp"

namespace ckpt::ttml {

class LazyFileSource final : public ByteSource {
 public:
  // Checks that `path` is a regular file and records its size. Fails with io_open.
  static Result<std::shared_ptr<const ByteSource>> open(const std::string& path);
  uint64_t size() const override { return size_; }
  const std::string& name() const override { return path_; }

 protected:
  bool read_raw(uint64_t offset, void* dst, size_t length) const override;

 private:
  LazyFileSource(std::string path, uint64_t size) : path_(std::move(path)), size_(size) {}
  std::string path_;
  uint64_t size_;
};

}  // namespace ckpt::ttml
