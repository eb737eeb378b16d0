#pragma once
// The formats ckpt knows, with the names used everywhere (JSON, flags).
#include <optional>
#include <string_view>
#include <vector>

namespace ckpt {

enum class Format {
  llama2c_v0,
  ak42_v1_fp32,
  ak42_v1_q8_0,
  ak42_v2_q8_0,
  ak42_v2_q8_0_scales_last,
  llama2c_tokenizer,
  ttml_msgpack,
  unknown,
};

std::string_view format_name(Format f);
// Parses a name as printed by format_name; nullopt for anything else.
std::optional<Format> parse_format_name(std::string_view name);
// Every named format, in documentation order (unknown excluded).
const std::vector<Format>& all_formats();

bool is_llama2c_checkpoint(Format f);  // v0 and every ak42 layout
bool is_ak42(Format f);
bool is_q8(Format f);
// Q8_0 layouts that put all int8 data first and all scales after it.
bool has_scales_last(Format f);

}  // namespace ckpt
