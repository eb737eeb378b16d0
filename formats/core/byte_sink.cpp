#include "ckpt/byte_sink.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

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
    return Error{
        ErrorCode::io_create, "cannot create a temporary file next to " + target + ": " + std::strerror(errno), {}};
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
      return Error{ErrorCode::io_write,
                   "cannot write " + temp_ + " at byte " + std::to_string(offset) + ": " + std::strerror(errno),
                   offset};
    }
    p += w;
    n -= size_t(w);
    offset += uint64_t(w);
  }
  return true;
}

Result<bool> AtomicFile::commit() {
  // A folder's writer may commit each file as soon as it is written (so that thousands
  // of files never hold thousands of descriptors); the folder's commit then finds it done.
  if (committed_) return true;
  if (::fsync(fd_) != 0) return Error{ErrorCode::io_commit, "cannot flush " + temp_ + ": " + std::strerror(errno), {}};
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

Result<std::unique_ptr<AtomicFolder>> AtomicFolder::create(const std::string& target) {
  std::string tmpl = folder_of(target) + "/." + base_of(target) + ".ckpt-tmp-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data()))
    return Error{
        ErrorCode::io_create, "cannot create a temporary folder next to " + target + ": " + std::strerror(errno), {}};
  ::chmod(buf.data(), 0755);
  return std::unique_ptr<AtomicFolder>(new AtomicFolder(target, std::string(buf.data())));
}

AtomicFolder::~AtomicFolder() {
  if (committed_) return;
  // Each AtomicFile removes its own temporary file; then the folder is empty.
  const std::string temp = temp_;
  files_.clear();
  std::error_code ec;
  std::filesystem::remove_all(temp, ec);
}

Result<AtomicFile*> AtomicFolder::file(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos)
    return Error{ErrorCode::io_create, "not a file name: " + name, {}};
  auto f = AtomicFile::create(temp_ + "/" + name);
  if (!f) return f.error();
  files_.push_back(std::move(*f));
  return files_.back().get();
}

Result<bool> AtomicFolder::commit() {
  for (auto& f : files_) {
    auto r = f->commit();
    if (!r) return r;
  }
  if (::rename(temp_.c_str(), target_.c_str()) != 0)
    return Error{ErrorCode::io_commit, "cannot rename " + temp_ + " to " + target_ + ": " + std::strerror(errno), {}};
  committed_ = true;
  int dfd = ::open(folder_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

bool same_file(const std::string& a, const std::string& b) {
  if (a == b) return true;
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

struct WriteBehind::State {
  struct Job {
    uint64_t offset;
    std::vector<uint8_t> bytes;
  };
  ByteSink& sink;
  size_t depth;
  std::mutex m;
  std::condition_variable cv;
  std::deque<Job> queue;
  std::vector<std::vector<uint8_t>> spare;  // buffers reused, so steady state allocates nothing
  bool busy = false, stop = false;
  std::optional<Error> error;
  std::thread worker;

  State(ByteSink& s, size_t d) : sink(s), depth(std::max<size_t>(d, 1)) {
    worker = std::thread([this] { run(); });
  }

  void run() {
    std::unique_lock<std::mutex> lock(m);
    for (;;) {
      cv.wait(lock, [&] { return stop || !queue.empty(); });
      if (queue.empty()) return;  // stopping and drained
      Job job = std::move(queue.front());
      queue.pop_front();
      busy = true;
      const bool skip = error.has_value();
      lock.unlock();
      Result<bool> r = skip ? Result<bool>(true) : sink.write_at(job.offset, job.bytes.data(), job.bytes.size());
      lock.lock();
      if (!r && !error) error = r.error();
      spare.push_back(std::move(job.bytes));
      busy = false;
      cv.notify_all();
    }
  }
};

WriteBehind::WriteBehind(ByteSink& sink, size_t depth) : s_(std::make_unique<State>(sink, depth)) {}

WriteBehind::~WriteBehind() {
  finish();
  {
    std::lock_guard<std::mutex> lock(s_->m);
    s_->stop = true;
  }
  s_->cv.notify_all();
  s_->worker.join();
}

Result<bool> WriteBehind::write_at(uint64_t offset, const void* data, size_t n) {
  std::unique_lock<std::mutex> lock(s_->m);
  s_->cv.wait(lock, [&] { return s_->queue.size() < s_->depth || s_->error; });
  if (s_->error) return *s_->error;
  std::vector<uint8_t> bytes;
  if (!s_->spare.empty()) {
    bytes = std::move(s_->spare.back());
    s_->spare.pop_back();
  }
  lock.unlock();
  bytes.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + n);
  lock.lock();
  s_->queue.push_back({offset, std::move(bytes)});
  s_->cv.notify_all();
  return true;
}

Result<bool> WriteBehind::finish() {
  std::unique_lock<std::mutex> lock(s_->m);
  s_->cv.wait(lock, [&] { return s_->queue.empty() && !s_->busy; });
  if (s_->error) return *s_->error;
  return true;
}

}  // namespace ckpt
