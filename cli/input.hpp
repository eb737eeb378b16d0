#pragma once
// Opening an input for a command: file, then format, with one error shape
// ("ckpt: FILE: reason (at byte N)") for every command.
#include <optional>
#include <string>

#include "ckpt/checkpoint.hpp"
#include "outcome.hpp"

namespace ckpt::cli {

// The checkpoint of a file or a folder (owning its files), or nullopt with the reason recorded in `out` when the
// file cannot be opened or no format fits.
std::optional<Checkpoint> open_input(const std::string& path, std::optional<Format> forced, Outcome& out);

// Parses --format NAME into `format` (left empty for an empty name); records a usage
// error naming the known formats and returns false for an unknown one.
bool parse_format_option(const std::string& name, std::optional<Format>& format, Outcome& out);

}  // namespace ckpt::cli
