#pragma once
// What commands print besides their reports: error lines on stderr, and the JSON
// document on stdout. With --json stdout always holds exactly one JSON document, even
// when the command cannot run (exit 2): CI scripts parse stdout without first checking
// the exit code. The errors are kept for that fallback document.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ckpt/result.hpp"

namespace ckpt::cli {

// "ckpt: MESSAGE" on stderr.
void print_error_line(const std::string& message);
// "ckpt: PATH: MESSAGE (at byte N)" on stderr.
void print_error(const std::string& path, const Error& e);
// "ckpt: MESSAGE" on stderr for a file that could not be opened (the message names it).
void print_open_error(const Error& e);

// The report as JSON on stdout (invalid UTF-8 printed as U+FFFD).
void print_json(const nlohmann::json& j);

// Every error line printed so far, as {"code", "file", "message", "offset"} objects.
nlohmann::json recorded_errors();

// Called once a command with --json has run: when it printed no document, prints
// {"schema": SCHEMA, "error": {"message", "file", "offset"}, "errors": [...]} with the
// first error and every error line the command printed.
void finish_json(std::string_view schema);

}  // namespace ckpt::cli
