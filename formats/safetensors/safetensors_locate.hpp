#pragma once
// --at for safetensors files: the 8-byte header length, the JSON header (naming the
// top-level entry, a tensor's or __metadata__, that holds the byte), a tensor element
// with its value, or bytes between and after the tensors.
#include <cstdint>

#include "ckpt/locate.hpp"
#include "hf_data.hpp"

namespace ckpt::safetensors {

Location locate_safetensors_file(const Checkpoint& cp, const SafetensorsFile& f, uint64_t offset);

// The top-level entry of a JSON object text holding byte `at` (0-based in text): its key
// and the span from the key's opening quote to the end of its value. Nothing when the
// byte is outside every entry (braces, commas, whitespace) or the text is not an object
// it can follow (a scanner of strings and brackets, not a validator).
struct JsonEntrySpan {
  std::string key;  // as written between the quotes (escapes not decoded)
  uint64_t begin = 0, end = 0;
};
std::optional<JsonEntrySpan> json_entry_at(std::string_view text, uint64_t at);

}  // namespace ckpt::safetensors
