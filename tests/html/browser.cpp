#include "browser.hpp"

#include <fcntl.h>
#include <png.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "test_support.hpp"

namespace ckpt::test {

namespace {

namespace fs = std::filesystem;

struct Run {
  bool finished = false;
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs Chromium headless on `url` with `extra` flags, in a fresh profile folder.
Run run_chromium(const std::vector<std::string>& extra, const std::string& url, int timeout_s = 60) {
  Run r;
  const std::string bin = chromium_path();
  if (bin.empty()) return r;
  std::string profile = temp_dir() + "/chromium-XXXXXX";
  if (!::mkdtemp(profile.data())) return r;
  const std::string out_path = profile + ".out", err_path = profile + ".err";
  std::vector<std::string> args = {bin,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--hide-scrollbars",
                                   "--user-data-dir=" + profile};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(url);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);  // its own process group: a timeout ends Chromium's helpers too
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  if (pid < 0) return r;
  ::setpgid(pid, pid);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      r.finished = true;
      r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  std::error_code ec;
  fs::remove_all(profile, ec);
  fs::remove(out_path, ec);
  fs::remove(err_path, ec);
  return r;
}

std::string file_url(const std::string& path) { return "file://" + fs::absolute(path).string(); }

}  // namespace

std::string chromium_path() {
  if (const char* env = std::getenv("CKPT_CHROMIUM"); env && *env) return env;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::vector<std::string> folders;
  for (std::string d; std::getline(dirs, d, ':');) folders.push_back(d);
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"})
    for (const auto& d : folders)
      if (::access((d + "/" + name).c_str(), X_OK) == 0) return d + "/" + name;
  return "";
}

const std::string& chromium_unavailable() {
  static const std::string why = [] {
    if (chromium_path().empty())
      return std::string(
          "no Chromium found (install Debian's chromium: scripts/install-deps.sh, or set CKPT_CHROMIUM)");
    const std::string page = temp_dir() + "/probe.html";
    std::ofstream(page) << "<!DOCTYPE html><html><body><p id=\"probe\">ok</p></body></html>";
    const Run r = run_chromium({"--dump-dom"}, file_url(page), 60);
    if (!r.finished) return std::string("Chromium did not finish rendering a trivial page within 60 s");
    if (r.out.find("id=\"probe\"") == std::string::npos)
      return "Chromium did not render a trivial page (exit " + std::to_string(r.exit_code) +
             "): " + r.err.substr(0, 400);
    return std::string();
  }();
  return why;
}

std::optional<PageDump> dump_dom(const std::string& html_file) {
  const Run r = run_chromium({"--dump-dom", "--enable-logging=stderr", "--v=0"}, file_url(html_file));
  if (!r.finished || r.out.empty()) return std::nullopt;
  PageDump d;
  d.dom = r.out;
  std::stringstream lines(r.err);
  for (std::string l; std::getline(lines, l);)
    if (l.find(":CONSOLE") != std::string::npos) d.console.push_back(l);
  return d;
}

size_t Image::count(const std::string& hex) const {
  const unsigned v = unsigned(std::stoul(hex.substr(1), nullptr, 16));
  const uint8_t r = uint8_t(v >> 16), g = uint8_t(v >> 8), b = uint8_t(v);
  size_t n = 0;
  for (size_t i = 0; i + 2 < rgb.size(); i += 3) n += rgb[i] == r && rgb[i + 1] == g && rgb[i + 2] == b;
  return n;
}

size_t Image::distinct_colors() const {
  std::set<uint32_t> s;
  for (size_t i = 0; i + 2 < rgb.size(); i += 3)
    s.insert(uint32_t(rgb[i]) << 16 | uint32_t(rgb[i + 1]) << 8 | rgb[i + 2]);
  return s.size();
}

std::optional<Image> screenshot(const std::string& html_file, int width, int height) {
  std::string base = temp_dir() + "/shot-XXXXXX";
  const int fd = ::mkstemp(base.data());
  if (fd < 0) return std::nullopt;
  ::close(fd);
  ::unlink(base.c_str());
  const std::string png = base + ".png";
  const Run r =
      run_chromium({"--screenshot=" + png, "--window-size=" + std::to_string(width) + "," + std::to_string(height)},
                   file_url(html_file));
  if (!r.finished) return std::nullopt;
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, png.c_str())) return std::nullopt;
  img.format = PNG_FORMAT_RGB;
  Image out;
  out.width = int(img.width);
  out.height = int(img.height);
  out.rgb.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.rgb.data(), 0, nullptr)) return std::nullopt;
  std::error_code ec;
  std::filesystem::remove(png, ec);
  return out;
}

}  // namespace ckpt::test
