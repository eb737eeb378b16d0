#include "ckpt/byte_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ckpt/checked.hpp"

namespace ckpt {

bool ByteSource::read(uint64_t offset, void* dst, size_t length) const {
  if (!range_within(offset, length, size())) return false;
  if (length == 0) return true;
  if (!read_raw(offset, dst, length)) return false;
  bytes_read_ += length;
  return true;
}

size_t ByteSource::read_available(uint64_t offset, void* dst, size_t length) const {
  if (offset >= size()) return 0;
  uint64_t n = size() - offset;
  if (n > length) n = length;
  return read(offset, dst, size_t(n)) ? size_t(n) : 0;
}

Result<std::unique_ptr<FileSource>> FileSource::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{ErrorCode::io_open, "cannot open " + path + ": " + std::strerror(errno), {}};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return Error{ErrorCode::io_open, "cannot stat " + path + ": " + std::strerror(e), {}};
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{ErrorCode::io_open, "cannot read " + path + ": not a regular file", {}};
  }
  return std::unique_ptr<FileSource>(
      new FileSource(path, fd, uint64_t(st.st_size), uint64_t(st.st_dev), uint64_t(st.st_ino)));
}

FileSource::~FileSource() { ::close(fd_); }

bool FileSource::read_raw(uint64_t offset, void* dst, size_t length) const {
  auto* p = static_cast<char*>(dst);
  while (length > 0) {
    ssize_t n = ::pread(fd_, p, length, off_t(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) return false;  // the file shrank under us
    p += n;
    offset += uint64_t(n);
    length -= size_t(n);
  }
  return true;
}

bool MemorySource::read_raw(uint64_t offset, void* dst, size_t length) const {
  std::memcpy(dst, bytes_.data() + offset, length);
  return true;
}

}  // namespace ckpt
