#pragma once
// Renderers of validation reports: text for people, JSON (schema "ckpt.validate/1") for
// programs, JUnit XML for CI systems; and the rule catalogue for --list-rules.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ckpt/validate.hpp"

namespace ckpt::cli {

struct ValidateRun {
  std::vector<FileReport> files;
  ValidateOptions options;
  bool strict = false;
};

std::string validate_text(const ValidateRun& run);
nlohmann::json validate_json(const ValidateRun& run);
// One <testsuite> per file, one <testcase> per file and rule family.
std::string validate_junit(const ValidateRun& run);

std::string rules_text();
nlohmann::json rules_json();

}  // namespace ckpt::cli
