#include "lazy_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ckpt::ttml {

Result<std::shared_ptr<const ByteSource>> LazyFileSource::open(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Error{ErrorCode::io_open, "cannot open " + path + ": " + std::strerror(errno), {}};
  if (!S_ISREG(st.st_mode)) return Error{ErrorCode::io_open, "cannot open " + path + ": not a regular file", {}};
  return std::shared_ptr<const ByteSource>(new LazyFileSource(path, uint64_t(st.st_size)));
}

bool LazyFileSource::read_raw(uint64_t offset, void* dst, size_t length) const {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char* p = static_cast<char*>(dst);
  bool ok = true;
  while (length > 0) {
    const ssize_t r = ::pread(fd, p, length, off_t(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      ok = false;
      break;
    }
    p += r, length -= size_t(r), offset += uint64_t(r);
  }
  ::close(fd);
  return ok;
}

}  // namespace ckpt::ttml
