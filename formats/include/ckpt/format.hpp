#pragma once
// Formats are open: each family (formats/<family>/) defines its formats, one FormatInfo
// each, and registers them (registry.hpp). A Format is a handle to one of them, compared
// by identity; the empty handle is Format::unknown. Names are what JSON prints and what
// --format and --to accept.
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace ckpt {

struct FormatInfo {
  std::string_view name;         // e.g. "ak42-v2-q8_0"
  std::string_view family;       // the family that reads it, e.g. "llama2c"
  std::string_view description;  // one line for help texts
  // What generic code asks about instead of naming formats: the validate catalogue's
  // rule scopes that cover the format ("checkpoint", "ak42", "q8", "ttml", "scan", ...) and
  // capabilities ("mapped": consumers cast the bytes in place, so alignment matters;
  // "training_state": the format can hold optimizer state and gradients; "weights": it
  // holds a model's tensors, so diff can compare it by value).
  std::span<const std::string_view> tags;
};

class Format {
 public:
  static const Format unknown;
  constexpr Format() = default;
  constexpr explicit Format(const FormatInfo& info) : info_(&info) {}
  constexpr bool known() const { return info_ != nullptr; }
  constexpr std::string_view name() const { return info_ ? info_->name : "unknown"; }
  constexpr std::string_view family() const { return info_ ? info_->family : ""; }
  // Whether the format carries this tag (FormatInfo::tags).
  bool has_tag(std::string_view tag) const;
  friend constexpr bool operator==(Format a, Format b) { return a.info_ == b.info_; }

 private:
  const FormatInfo* info_ = nullptr;
};
inline constexpr Format Format::unknown{};

inline std::string_view format_name(Format f) { return f.name(); }
// The registered format with this name; nullopt for anything else (and for "unknown").
std::optional<Format> parse_format_name(std::string_view name);
// Every registered format, family by family in registration order, each family's formats
// in documentation order.
const std::vector<Format>& all_formats();

}  // namespace ckpt
