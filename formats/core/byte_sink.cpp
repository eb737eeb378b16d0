#include "ckpt/byte_sink.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ckpt/checked.hpp"

namespace ckpt {

Result<bool> MemorySink::write_at(uint64_t offset, const void* data, size_t n) {
  CheckedU64 end = CheckedU64(offset) + n;
  // An in-memory image bigger than this is a bug in the caller, not a file to build.
  constexpr uint64_t kMaxMemoryImage = 1ull << 32;
  if (!end.ok() || end.value() > kMaxMemoryImage) return Error{ErrorCode::io_write, "memory image too large", offset};
  if (bytes_.size() < end.value()) bytes_.resize(size_t(end.value()));
  if (n) std::memcpy(bytes_.data() + offset, data, n);
  return true;
}

namespace {
std::string folder_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}
std::string base_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}
}  // namespace

Result<std::unique_ptr<AtomicFile>> AtomicFile::create(const std::string& target) {
  std::string tmpl = folder_of(target) + "/." + base_of(target) + ".ckpt-tmp-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  int fd = ::mkstemp(buf.data());
  if (fd < 0)
    return Error{ErrorCode::io_create, "cannot create a temporary file next to " + target + ": " + std::strerror(errno), {}};
  ::fchmod(fd, 0644);
  return std::unique_ptr<AtomicFile>(new AtomicFile(target, std::string(buf.data()), fd));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

Result<bool> AtomicFile::write_at(uint64_t offset, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::pwrite(fd_, p, n, off_t(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      return Error{ErrorCode::io_write, "cannot write " + temp_ + " at byte " + std::to_string(offset) + ": " +
                                   std::strerror(errno),
                   offset};
    }
    p += w;
    n -= size_t(w);
    offset += uint64_t(w);
  }
  return true;
}

Result<bool> AtomicFile::commit() {
  if (::fsync(fd_) != 0)
    return Error{ErrorCode::io_commit, "cannot flush " + temp_ + ": " + std::strerror(errno), {}};
  if (::close(fd_) != 0) {
    fd_ = -1;
    return Error{ErrorCode::io_commit, "cannot close " + temp_ + ": " + std::strerror(errno), {}};
  }
  fd_ = -1;
  if (::rename(temp_.c_str(), target_.c_str()) != 0)
    return Error{ErrorCode::io_commit, "cannot rename " + temp_ + " to " + target_ + ": " + std::strerror(errno), {}};
  committed_ = true;
  // Make the rename itself durable.
  int dfd = ::open(folder_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

bool same_file(const std::string& a, const std::string& b) {
  if (a == b) return true;
  struct stat sa {}, sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace ckpt
