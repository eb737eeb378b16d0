// Text rendering of validation reports and of the rule catalogue.
#include <fmt/core.h>

#include "validate_render.hpp"

namespace ckpt::cli {

namespace {

std::string verdict(const FileReport& f, bool strict) {
  if (f.could_not_run) return "NOT CHECKED";
  return f.valid(strict) ? "valid" : "INVALID";
}

std::string counts(const FileReport& f) {
  std::string s;
  auto part = [&](Severity sev, const char* name) {
    const size_t n = f.count(sev);
    if (n > 0) s += fmt::format("{}{} {}{}", s.empty() ? "" : ", ", n, name, n == 1 ? "" : "s");
  };
  part(Severity::error, "error");
  part(Severity::warning, "warning");
  part(Severity::info, "info");
  return s.empty() ? "no findings" : s;
}

}  // namespace

std::string validate_text(const ValidateRun& run) {
  std::string out;
  size_t valid = 0, invalid = 0, unchecked = 0;
  for (const auto& f : run.files) {
    (f.could_not_run ? unchecked : f.valid(run.strict) ? valid : invalid)++;
    std::string what = std::string(format_name(f.format));
    if (f.scanned)
      what += fmt::format("; scanned {} bytes of data", f.bytes_scanned);
    else if (!f.could_not_run && scope_covers(RuleScope::scan, f.format))
      what += "; structure only";
    out += fmt::format("{}: {} ({}): {}\n", f.file, verdict(f, run.strict), what, counts(f));
    for (const auto& x : f.findings) {
      const std::string at = x.offset ? fmt::format("@{}", *x.offset) : "-";
      const std::string& subject = !x.tensor.empty() ? x.tensor : x.field;
      out += fmt::format("  {:<7}  {:<24} {:>12}  {}{}\n", severity_name(x.severity), x.rule, at,
                         subject.empty() ? "" : subject + ": ", x.message);
    }
    for (const auto& [rule, n] : f.suppressed)
      out += fmt::format("  ... and {} more {} finding{}\n", n, rule, n == 1 ? "" : "s");
  }
  if (run.files.size() > 1)
    out += fmt::format("{} files: {} valid, {} invalid, {} not checked{}\n", run.files.size(), valid, invalid,
                       unchecked, run.strict ? " (strict: warnings fail)" : "");
  return out;
}

std::string rules_text() {
  std::string out = fmt::format("{:<24} {:<8} {}\n", "RULE", "SEVERITY", "WHAT IT CHECKS / WHY IT MATTERS");
  for (const auto& r : rule_catalogue()) {
    out +=
        fmt::format("{:<24} {:<8} {}{}\n", r.id, severity_name(r.severity), r.what, r.needs_scan ? " [data scan]" : "");
    out += fmt::format("{:<24} {:<8} why: {}\n", "", "", r.why);
  }
  return out;
}

}  // namespace ckpt::cli
