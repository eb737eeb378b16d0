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
  auto src = FileSource::open(path);
  if (!src) {
    out.error("", src.error());  // the message names the file
    return std::nullopt;
  }
  OpenOptions opt;
  opt.forced_format = forced;
  auto cp = open_checkpoint(std::shared_ptr<const ByteSource>(std::move(*src)), opt);
  if (!cp) {
    out.error(path, cp.error());
    return std::nullopt;
  }
  return std::move(*cp);
}

}  // namespace ckpt::cli
