// Matching names against the {i} patterns of the table, in either direction.
#include "hf_names.hpp"

namespace ckpt::safetensors {

namespace {

// Matches `name` against `pattern` ("...{i}..."): the layer number, -1 when the pattern
// has none, nullopt when it does not match.
std::optional<int64_t> match(std::string_view pattern, std::string_view name) {
  const size_t at = pattern.find("{i}");
  if (at == std::string_view::npos) return pattern == name ? std::optional<int64_t>(-1) : std::nullopt;
  const std::string_view head = pattern.substr(0, at), tail = pattern.substr(at + 3);
  if (!name.starts_with(head) || !name.ends_with(tail) || name.size() <= head.size() + tail.size()) return std::nullopt;
  const std::string_view digits = name.substr(head.size(), name.size() - head.size() - tail.size());
  if (digits.size() > 9 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  int64_t layer = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    layer = layer * 10 + (c - '0');
  }
  return layer;
}

std::string fill(std::string_view pattern, int64_t layer) {
  std::string s(pattern);
  if (const size_t at = s.find("{i}"); at != std::string::npos) s.replace(at, 3, std::to_string(layer));
  return s;
}

}  // namespace

std::optional<NameMatch> canonical_of_hf(std::string_view hf) {
  for (const auto& p : kHfLlamaParams)
    if (auto layer = match(p.hf, hf)) return NameMatch{fill(p.canonical, *layer), p.rotary, *layer};
  return std::nullopt;
}

std::optional<NameMatch> hf_of_canonical(std::string_view canonical) {
  for (const auto& p : kHfLlamaParams)
    if (auto layer = match(p.canonical, canonical)) return NameMatch{fill(p.hf, *layer), p.rotary, *layer};
  return std::nullopt;
}

}  // namespace ckpt::safetensors
