#pragma once
// What a command produced, before anything is printed: the verdict, the document for
// stdout (text, or JSON with --json) and the lines for stderr. Commands build an Outcome
// and never print; emit() alone prints it and turns the verdict into the exit code, so
// the commands can be tested without spawning the binary.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/result.hpp"

namespace ckpt::cli {

// Exit codes, decided here only: 0 ok, 1 a finding (invalid, differs), 2 could not run
// (usage, unreadable file, no known format). The worse verdict wins.
enum class Verdict { ok = 0, finding = 1, cannot_run = 2 };
inline int exit_code(Verdict v) { return int(v); }

// One line for stderr. Errors are also what the JSON error document lists.
struct Line {
  enum class Kind { error, note, info } kind = Kind::error;
  std::string message;
  std::string code;  // ErrorCode name, empty for usage errors
  std::string file;  // the file it is about, empty when none
  std::optional<uint64_t> offset;
};

struct Outcome {
  Verdict verdict = Verdict::ok;
  std::string text;                        // stdout without --json
  std::optional<nlohmann::json> document;  // stdout with --json
  std::vector<Line> lines;                 // stderr, in order

  // Keeps the worse of the two verdicts.
  void worsen(Verdict v) { verdict = std::max(verdict, v); }
  // "ckpt: MESSAGE" (a usage problem); the command cannot run.
  Outcome& usage_error(std::string message);
  // "ckpt: FILE: MESSAGE (at byte N)"; the command cannot run.
  Outcome& error(const std::string& file, const Error& e);
  // An error line that does not stop the command (a tensor that could not be hashed).
  void warn(std::string message);
  // "ckpt: note: MESSAGE" and "ckpt: MESSAGE" lines.
  void note(std::string message);
  void info(std::string message);
  // The error lines as [{"code", "file", "message", "offset"}].
  nlohmann::json errors_json() const;
};

// The text of one stderr line, without the trailing newline.
std::string line_text(const Line& l);

// Prints the outcome: stdout gets the JSON document with --json (and, when the command
// produced none, an error document {"schema", "error", "errors"}, so that stdout always
// holds exactly one JSON document) or the text; stderr gets the lines. Returns the exit
// code. Invalid UTF-8 in JSON prints as U+FFFD.
int emit(const Outcome& o, bool json, std::string_view schema);

}  // namespace ckpt::cli
