#include "outcome.hpp"

#include <fmt/core.h>

#include "utf8.hpp"

namespace ckpt::cli {

namespace {

nlohmann::json or_null(const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); }

// {"code", "file", "message", "offset"}: the shape of every error in a JSON document.
nlohmann::json line_json(const Line& l) {
  return {{"code", or_null(l.code)},
          {"file", or_null(l.file)},
          {"message", l.message},
          {"offset", l.offset ? nlohmann::json(*l.offset) : nlohmann::json()}};
}

}  // namespace

Outcome& Outcome::usage_error(std::string message) {
  lines.push_back({Line::Kind::error, std::move(message), {}, {}, {}});
  worsen(Verdict::cannot_run);
  return *this;
}

Outcome& Outcome::error(const std::string& file, const Error& e) {
  lines.push_back({Line::Kind::error, e.message, std::string(e.code_name()), file, e.offset});
  worsen(Verdict::cannot_run);
  return *this;
}

void Outcome::warn(std::string message) { lines.push_back({Line::Kind::error, std::move(message), {}, {}, {}}); }
void Outcome::note(std::string message) { lines.push_back({Line::Kind::note, std::move(message), {}, {}, {}}); }
void Outcome::info(std::string message) { lines.push_back({Line::Kind::info, std::move(message), {}, {}, {}}); }

nlohmann::json Outcome::errors_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& l : lines)
    if (l.kind == Line::Kind::error) out.push_back(line_json(l));
  return out;
}

std::string line_text(const Line& l) {
  if (l.kind == Line::Kind::note) return "ckpt: note: " + l.message;
  std::string s = "ckpt: ";
  if (!l.file.empty()) s += l.file + ": ";
  s += l.message;
  if (l.offset && !l.file.empty()) s += fmt::format(" (at byte {})", *l.offset);
  return s;
}

int emit(const Outcome& o, bool json, std::string_view schema) {
  if (json) {
    nlohmann::json doc;
    if (o.document) {
      doc = *o.document;
    } else {
      const nlohmann::json errors = o.errors_json();
      const nlohmann::json first =
          errors.empty() ? line_json({Line::Kind::error, "the command could not run", {}, {}, {}}) : errors.front();
      doc = {{"schema", schema}, {"error", first}, {"errors", errors}};
    }
    fmt::print("{}\n", json_text(doc));
  } else {
    fmt::print("{}", o.text);
  }
  std::fflush(stdout);
  for (const auto& l : o.lines) fmt::print(stderr, "{}\n", line_text(l));
  return exit_code(o.verdict);
}

}  // namespace ckpt::cli
