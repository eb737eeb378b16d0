// Folders as inputs: a sorted, capped listing and files opened on demand.
#include "ckpt/folder.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace ckpt {

namespace fs = std::filesystem;

bool is_folder(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<Folder> Folder::open(const std::string& path, size_t max_entries) {
  std::error_code ec;
  fs::directory_iterator it(path, ec);
  if (ec) return Error{ErrorCode::io_open, "cannot list " + path + ": " + ec.message(), {}};
  Folder f;
  f.path_ = path;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return Error{ErrorCode::io_open, "cannot list " + path + ": " + ec.message(), {}};
    std::error_code fe;
    if (!it->is_regular_file(fe)) continue;
    if (f.entries_.size() == max_entries) {
      f.truncated_ = true;
      break;
    }
    const uint64_t size = it->file_size(fe);
    f.entries_.push_back({it->path().filename().string(), fe ? 0 : size});
  }
  std::sort(f.entries_.begin(), f.entries_.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return f;
}

const Folder::Entry* Folder::find(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const Entry& e, std::string_view n) { return e.name < n; });
  return it != entries_.end() && it->name == name ? &*it : nullptr;
}

std::string Folder::file_path(std::string_view name) const { return (fs::path(path_) / std::string(name)).string(); }

Result<std::shared_ptr<const ByteSource>> Folder::open_file(std::string_view name) const {
  auto src = FileSource::open(file_path(name));
  if (!src) return src.error();
  return std::shared_ptr<const ByteSource>(std::move(*src));
}

Result<std::string> Folder::read_text(std::string_view name, uint64_t max_bytes) const {
  auto src = open_file(name);
  if (!src) return src.error();
  const ByteSource& s = **src;
  if (s.size() > max_bytes)
    return Error{ErrorCode::io_read,
                 s.name() + " is " + std::to_string(s.size()) + " bytes, more than the " + std::to_string(max_bytes) +
                     " a config file may have",
                 {}};
  std::string text(size_t(s.size()), '\0');
  if (!s.read(0, text.data(), text.size())) return Error{ErrorCode::io_read, "cannot read " + s.name(), uint64_t(0)};
  return text;
}

}  // namespace ckpt
