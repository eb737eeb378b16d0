// JSON rendering of validation reports (schema "ckpt.validate/1") and of the catalogue
// ("ckpt.rules/1"); both documented in README.md.
#include "validate_render.hpp"

namespace ckpt::cli {

using nlohmann::json;

namespace {

json finding_json(const ValidationFinding& f) {
  return json{{"rule", f.rule},
              {"severity", severity_name(f.severity)},
              {"message", f.message},
              {"offset", f.offset ? json(*f.offset) : json(nullptr)},
              {"tensor", f.tensor.empty() ? json(nullptr) : json(f.tensor)},
              {"field", f.field.empty() ? json(nullptr) : json(f.field)}};
}

}  // namespace

json validate_json(const ValidateRun& run) {
  json files = json::array();
  for (const auto& f : run.files) {
    json findings = json::array();
    for (const auto& x : f.findings) findings.push_back(finding_json(x));
    files.push_back(json{{"file", f.file},
                         {"format", format_name(f.format)},
                         {"valid", f.valid(run.strict)},
                         {"could_not_run", f.could_not_run},
                         {"detection", f.detection},
                         {"scanned", f.scanned},
                         {"bytes_scanned", f.bytes_scanned},
                         {"counts",
                          {{"error", f.count(Severity::error)},
                           {"warning", f.count(Severity::warning)},
                           {"info", f.count(Severity::info)}}},
                         {"suppressed", f.suppressed},
                         {"findings", findings}});
  }
  return json{{"schema", "ckpt.validate/1"}, {"strict", run.strict}, {"files", files}};
}

json rules_json() {
  json rules = json::array();
  for (const auto& r : rule_catalogue())
    rules.push_back(json{{"id", r.id},
                         {"family", rule_family(r.id)},
                         {"severity", severity_name(r.severity)},
                         {"needs_scan", r.needs_scan},
                         {"what", r.what},
                         {"why", r.why}});
  return json{{"schema", "ckpt.rules/1"}, {"rules", rules}};
}

}  // namespace ckpt::cli
