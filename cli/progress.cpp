#include "progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

namespace ckpt::cli {

namespace {

std::string human(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) bytes /= 1000, ++u;
  return u == 0 ? fmt::format("{:.0f} {}", bytes, units[u]) : fmt::format("{:.1f} {}", bytes, units[u]);
}

uint64_t size_under(const std::string& path) {
  std::error_code ec;
  namespace fs = std::filesystem;
  if (fs::is_directory(path, ec)) {
    uint64_t total = 0;
    for (const auto& e : fs::directory_iterator(path, ec))
      if (e.is_regular_file(ec)) total += e.file_size(ec);
    return total;
  }
  const auto n = fs::file_size(path, ec);
  return ec ? 0 : n;
}

}  // namespace

std::string Progress::line(uint64_t written, uint64_t expected, double seconds) {
  const double rate = seconds > 0 ? double(written) / seconds : 0;
  std::string s = fmt::format("ckpt: {} written", human(double(written)));
  if (expected > 0) s += fmt::format(" of ~{}", human(double(expected)));
  if (rate > 0) s += fmt::format(", {}/s", human(rate));
  if (expected > written && rate > 0) s += fmt::format(", ~{:.0f} s left", double(expected - written) / rate);
  return s;
}

Progress::Progress(std::string path, uint64_t expected) : path_(std::move(path)), expected_(expected) {
  if (isatty(STDERR_FILENO)) thread_ = std::thread([this] { run(); });
}

Progress::~Progress() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void Progress::run() {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  // Short conversions finish before the first line: nothing is drawn for them.
  auto next = start + std::chrono::seconds(1);
  while (!stop_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (clock::now() < next) continue;
    next = clock::now() + std::chrono::milliseconds(500);
    const double secs = std::chrono::duration<double>(clock::now() - start).count();
    std::fprintf(stderr, "\r\033[K%s", line(size_under(path_), expected_, secs).c_str());
    drawn_ = true;
  }
  if (drawn_) std::fprintf(stderr, "\r\033[K");
}

}  // namespace ckpt::cli
