#include "input.hpp"

#include <fmt/core.h>

namespace ckpt::cli {

bool parse_format_option(const std::string& name, std::optional<Format>& out) {
  if (name.empty()) return true;
  out = parse_format_name(name);
  if (!out) {
    std::string known;
    for (auto f : all_formats()) known += (known.empty() ? "" : ", ") + std::string(format_name(f));
    print_error_line(fmt::format("unknown format '{}' (known: {})", name, known));
    return false;
  }
  return true;
}

std::optional<Input> open_input(const std::string& path, std::optional<Format> forced) {
  auto src = FileSource::open(path);
  if (!src) {
    print_open_error(src.error());
    return std::nullopt;
  }
  OpenOptions opt;
  opt.forced_format = forced;
  auto cp = open_checkpoint(std::shared_ptr<const ByteSource>(std::move(*src)), opt);
  if (!cp) {
    print_error(path, cp.error());
    return std::nullopt;
  }
  return Input{std::move(*cp)};
}

}  // namespace ckpt::cli
