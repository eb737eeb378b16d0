#include "input.hpp"

#include <fmt/core.h>

namespace ckpt::cli {

void print_error(const std::string& path, const Error& e) {
  if (e.offset) fmt::print(stderr, "ckpt: {}: {} (at byte {})\n", path, e.message, *e.offset);
  else fmt::print(stderr, "ckpt: {}: {}\n", path, e.message);
}

bool parse_format_option(const std::string& name, std::optional<Format>& out) {
  if (name.empty()) return true;
  out = parse_format_name(name);
  if (!out) {
    std::string known;
    for (auto f : all_formats()) known += (known.empty() ? "" : ", ") + std::string(format_name(f));
    fmt::print(stderr, "ckpt: unknown format '{}' (known: {})\n", name, known);
    return false;
  }
  return true;
}

std::optional<Input> open_input(const std::string& path, std::optional<Format> forced) {
  auto src = FileSource::open(path);
  if (!src) {
    fmt::print(stderr, "ckpt: {}\n", src.error().message);
    return std::nullopt;
  }
  OpenOptions opt;
  opt.forced_format = forced;
  auto cp = open_checkpoint(**src, opt);
  if (!cp) {
    print_error(path, cp.error());
    return std::nullopt;
  }
  return Input{std::move(*src), std::move(*cp)};
}

}  // namespace ckpt::cli
