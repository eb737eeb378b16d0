#pragma once
// A finding is what a parser or a validator has to say about a file: a stable rule id,
// a severity, one line of text, and the culprit (byte offset, tensor or header field).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ckpt {

enum class Severity { info, warning, error };

std::string_view severity_name(Severity s);

struct Finding {
  std::string rule;  // stable id from the catalogue, e.g. "size.truncated"
  Severity severity = Severity::error;
  std::string message;
  std::optional<uint64_t> offset;
  std::string subject;  // tensor name or header field, empty when the file as a whole
};

}  // namespace ckpt
