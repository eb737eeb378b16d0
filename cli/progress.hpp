#pragma once
// Progress of a long conversion on stderr, only when stderr is a terminal: bytes written,
// rate and time left, redrawn on one line twice a second. It watches the size of the
// temporary output (a file, or every file of a folder) from a background thread, so the
// writers need no hook; it prints nothing at all when stderr is not a terminal.
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace ckpt::cli {

class Progress {
 public:
  // path: the temporary file or folder being written; expected: the approximate final
  // size in bytes (0 when unknown: no time left is shown).
  Progress(std::string path, uint64_t expected);
  ~Progress();  // stops and clears the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // One line of progress, as drawn (exposed for tests).
  static std::string line(uint64_t written, uint64_t expected, double seconds);

 private:
  void run();
  std::string path_;
  uint64_t expected_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  bool drawn_ = false;
};

}  // namespace ckpt::cli
