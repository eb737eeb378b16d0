#include "output.hpp"

#include <fmt/core.h>

#include <vector>

#include "utf8.hpp"

namespace ckpt::cli {

namespace {

struct Printed {
  bool json = false;
  std::vector<nlohmann::json> errors;
};

// One process runs one command: the state of its output is process-wide.
Printed& printed() {
  static Printed p;
  return p;
}

// {"code", "file", "message", "offset"}: the shape of every recorded error; an empty
// code or file is null.
nlohmann::json error_json(const std::string& code, const std::string& file, const std::string& message,
                          std::optional<uint64_t> offset) {
  auto or_null = [](const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); };
  return {{"code", or_null(code)},
          {"file", or_null(file)},
          {"message", message},
          {"offset", offset ? nlohmann::json(*offset) : nlohmann::json()}};
}

}  // namespace

void print_error_line(const std::string& message) {
  fmt::print(stderr, "ckpt: {}\n", message);
  printed().errors.push_back(error_json("", "", message, std::nullopt));
}

void print_error(const std::string& path, const Error& e) {
  if (e.offset) fmt::print(stderr, "ckpt: {}: {} (at byte {})\n", path, e.message, *e.offset);
  else fmt::print(stderr, "ckpt: {}: {}\n", path, e.message);
  printed().errors.push_back(error_json(std::string(e.code_name()), path, e.message, e.offset));
}

void print_open_error(const Error& e) {
  fmt::print(stderr, "ckpt: {}\n", e.message);
  printed().errors.push_back(error_json(std::string(e.code_name()), "", e.message, e.offset));
}

void print_json(const nlohmann::json& j) {
  fmt::print("{}\n", json_text(j));
  printed().json = true;
}

nlohmann::json recorded_errors() { return printed().errors; }

void finish_json(std::string_view schema) {
  if (printed().json) return;
  const auto& errors = printed().errors;
  const nlohmann::json first =
      errors.empty() ? error_json("", "", "the command could not run", std::nullopt) : errors.front();
  print_json({{"schema", schema}, {"error", first}, {"errors", errors}});
}

}  // namespace ckpt::cli
