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

nlohmann::json optional_json(const std::optional<uint64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

}  // namespace

void print_error_line(const std::string& message) {
  fmt::print(stderr, "ckpt: {}\n", message);
  printed().errors.push_back({{"code", nullptr}, {"file", nullptr}, {"message", message}, {"offset", nullptr}});
}

void print_error(const std::string& path, const Error& e) {
  if (e.offset) fmt::print(stderr, "ckpt: {}: {} (at byte {})\n", path, e.message, *e.offset);
  else fmt::print(stderr, "ckpt: {}: {}\n", path, e.message);
  printed().errors.push_back({{"code", e.code.empty() ? nlohmann::json() : nlohmann::json(e.code)},
                              {"file", path},
                              {"message", e.message},
                              {"offset", optional_json(e.offset)}});
}

void print_open_error(const Error& e) {
  fmt::print(stderr, "ckpt: {}\n", e.message);
  printed().errors.push_back({{"code", e.code.empty() ? nlohmann::json() : nlohmann::json(e.code)},
                              {"file", nullptr},
                              {"message", e.message},
                              {"offset", optional_json(e.offset)}});
}

void print_json(const nlohmann::json& j) {
  fmt::print("{}\n", json_text(j));
  printed().json = true;
}

nlohmann::json recorded_errors() { return printed().errors; }

void finish_json(std::string_view schema) {
  if (printed().json) return;
  const auto& errors = printed().errors;
  nlohmann::json first = errors.empty() ? nlohmann::json{{"code", nullptr},
                                                         {"file", nullptr},
                                                         {"message", "the command could not run"},
                                                         {"offset", nullptr}}
                                        : errors.front();
  print_json({{"schema", schema}, {"error", first}, {"errors", errors}});
}

}  // namespace ckpt::cli
