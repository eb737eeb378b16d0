#include "input.hpp"

#include <fmt/core.h>

namespace ckpt::cli {

bool parse_format_option(const std::string& name, std::optional<Format>& format, Outcome& out) {
  if (name.empty()) return true;
  format = parse_format_name(name);
  if (format) return true;
  std::string known;
  for (auto f : all_formats()) known += (known.empty() ? "" : ", ") + std::string(f.name());
  out.usage_error(fmt::format("unknown format '{}' (known: {})", name, known));
  return false;
}

std::optional<Checkpoint> open_input(const std::string& path, std::optional<Format> forced, Outcome& out) {
  OpenOptions opt;
  opt.forced_format = forced;
  auto cp = open_path(path, opt);
  if (!cp) {
    // An open error's message names the file already.
    out.error(cp.error().code == ErrorCode::io_open ? "" : path, cp.error());
    return std::nullopt;
  }
  return std::move(*cp);
}

}  // namespace ckpt::cli
