#pragma once
// Opening an input for a command: file, then format, with one error message shape
// ("ckpt: FILE: reason (at byte N)") for every command.
#include <memory>
#include <optional>
#include <string>

#include "ckpt/checkpoint.hpp"
#include "output.hpp"

namespace ckpt::cli {

struct Input {
  Checkpoint cp;  // owns the file it was read from
};

// Prints the error to stderr and returns nullopt when the file cannot be opened or no
// format fits.
std::optional<Input> open_input(const std::string& path, std::optional<Format> forced = std::nullopt);

// Parses --format NAME; prints an error and returns false for an unknown name.
bool parse_format_option(const std::string& name, std::optional<Format>& out);

}  // namespace ckpt::cli
