#pragma once
// A folder given as an input (a Meta or Hugging Face model folder, a tt-train checkpoint
// folder): its regular files, sorted by name, opened on demand. Listing is capped
// (OpenLimits::max_folder_entries) so that a folder of millions of files costs nothing.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/result.hpp"

namespace ckpt {

class Folder {
 public:
  struct Entry {
    std::string name;  // file name inside the folder
    uint64_t size = 0;
  };

  // Lists the regular files of `path` (not recursing). Fails with io_open when it is not
  // a readable folder. More than max_entries files: the first ones by name, and
  // truncated() says so.
  static Result<Folder> open(const std::string& path, size_t max_entries);

  const std::string& path() const { return path_; }
  const std::vector<Entry>& entries() const { return entries_; }
  bool truncated() const { return truncated_; }
  const Entry* find(std::string_view name) const;
  // The full path of a file of the folder.
  std::string file_path(std::string_view name) const;
  // Opens a file of the folder for reading.
  Result<std::shared_ptr<const ByteSource>> open_file(std::string_view name) const;
  // A small file read whole (params.json, config.json, an index): fails with io_read
  // when it is larger than max_bytes.
  Result<std::string> read_text(std::string_view name, uint64_t max_bytes) const;

 private:
  std::string path_;
  std::vector<Entry> entries_;
  bool truncated_ = false;
};

// True when `path` names a folder (following symlinks).
bool is_folder(const std::string& path);

}  // namespace ckpt
