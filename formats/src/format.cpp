#include "ckpt/format.hpp"

#include <array>
#include <utility>

#include "ckpt/finding.hpp"

namespace ckpt {

namespace {
constexpr std::array<std::pair<Format, std::string_view>, 8> kNames{{
    {Format::llama2c_v0, "llama2c-v0"},
    {Format::ak42_v1_fp32, "ak42-v1-fp32"},
    {Format::ak42_v1_q8_0, "ak42-v1-q8_0"},
    {Format::ak42_v2_q8_0, "ak42-v2-q8_0"},
    {Format::ak42_v2_q8_0_scales_last, "ak42-v2-q8_0-scales-last"},
    {Format::llama2c_tokenizer, "llama2c-tokenizer"},
    {Format::ttml_msgpack, "ttml-msgpack"},
    {Format::unknown, "unknown"},
}};
}  // namespace

std::string_view format_name(Format f) {
  for (auto& [fmt, name] : kNames)
    if (fmt == f) return name;
  return "unknown";
}

std::optional<Format> parse_format_name(std::string_view name) {
  for (auto& [fmt, n] : kNames)
    if (n == name && fmt != Format::unknown) return fmt;
  return std::nullopt;
}

const std::vector<Format>& all_formats() {
  static const std::vector<Format> all{Format::llama2c_v0,          Format::ak42_v1_fp32,
                                       Format::ak42_v1_q8_0,        Format::ak42_v2_q8_0,
                                       Format::ak42_v2_q8_0_scales_last, Format::llama2c_tokenizer,
                                       Format::ttml_msgpack};
  return all;
}

bool is_ak42(Format f) {
  return f == Format::ak42_v1_fp32 || f == Format::ak42_v1_q8_0 || f == Format::ak42_v2_q8_0 ||
         f == Format::ak42_v2_q8_0_scales_last;
}
bool is_llama2c_checkpoint(Format f) { return f == Format::llama2c_v0 || is_ak42(f); }
bool is_q8(Format f) {
  return f == Format::ak42_v1_q8_0 || f == Format::ak42_v2_q8_0 || f == Format::ak42_v2_q8_0_scales_last;
}
bool has_scales_last(Format f) { return f == Format::ak42_v1_q8_0 || f == Format::ak42_v2_q8_0_scales_last; }

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::error: return "error";
  }
  return "error";
}

}  // namespace ckpt
