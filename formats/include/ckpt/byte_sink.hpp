#pragma once
// Where writers put bytes: positional writes, so a layout table can say where each
// tensor goes. AtomicFile is the one that touches disk; MemorySink serves tests.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ckpt/result.hpp"

namespace ckpt {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Writes n bytes at offset; fails with "io.write" and the reason.
  virtual Result<bool> write_at(uint64_t offset, const void* data, size_t n) = 0;
};

class MemorySink final : public ByteSink {
 public:
  Result<bool> write_at(uint64_t offset, const void* data, size_t n) override;
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

// A file that appears at its final path only when complete: bytes go to a temporary
// file in the target's folder, commit() fsyncs and renames it over the target, and a
// destructor without commit removes the temporary file. The target is untouched until
// the rename, so a failure (disk full, size limit, interrupt) never loses data.
class AtomicFile final : public ByteSink {
 public:
  // Creates the temporary file. Fails with "io.create" (folder missing, read-only, ...).
  static Result<std::unique_ptr<AtomicFile>> create(const std::string& target);
  ~AtomicFile() override;
  Result<bool> write_at(uint64_t offset, const void* data, size_t n) override;
  // fsync, rename over the target, fsync the folder. Fails with "io.commit". Committing
  // again does nothing.
  Result<bool> commit();
  const std::string& temp_path() const { return temp_; }
  const std::string& target() const { return target_; }

 private:
  AtomicFile(std::string target, std::string temp, int fd)
      : target_(std::move(target)), temp_(std::move(temp)), fd_(fd) {}
  std::string target_, temp_;
  int fd_;
  bool committed_ = false;
};

// A folder that appears at its final path only when complete: files are written into a
// temporary folder next to the target, commit() fsyncs them and renames the folder onto
// the target (which must not exist, or be an empty folder), and a destructor without
// commit removes the temporary folder and everything in it.
class AtomicFolder {
 public:
  // Creates the temporary folder. Fails with io_create.
  static Result<std::unique_ptr<AtomicFolder>> create(const std::string& target);
  ~AtomicFolder();
  // A new file `name` (no '/') inside the folder. Fails with io_create.
  Result<AtomicFile*> file(const std::string& name);
  // Commits every file, then renames the folder. Fails with io_commit (a target that
  // exists and is not an empty folder is not replaced).
  Result<bool> commit();
  const std::string& temp_path() const { return temp_; }
  const std::string& target() const { return target_; }

 private:
  AtomicFolder(std::string target, std::string temp) : target_(std::move(target)), temp_(std::move(temp)) {}
  std::string target_, temp_;
  std::vector<std::unique_ptr<AtomicFile>> files_;
  bool committed_ = false;
};

// Writes behind: write_at copies the bytes and returns; a worker thread writes them to
// the wrapped sink in order, so that producing the next bytes (reading, quantizing)
// overlaps with the kernel's copy of the previous ones. At most `depth` writes of the
// bytes given are queued (memory stays bounded). An error of the wrapped sink is returned
// by the next write_at or by finish(); nothing is written after it.
class WriteBehind final : public ByteSink {
 public:
  explicit WriteBehind(ByteSink& sink, size_t depth = 2);
  ~WriteBehind() override;  // finishes
  Result<bool> write_at(uint64_t offset, const void* data, size_t n) override;
  // Waits until every queued write is done; the first error, if any.
  Result<bool> finish();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// True when both paths name the same existing file (same path, hard link or symlink).
bool same_file(const std::string& a, const std::string& b);

}  // namespace ckpt
