// JUnit XML: one <testsuite> per file, one <testcase> per rule family the file's checks
// covered. A family fails (<failure>) on an error finding, or a warning under --strict;
// a file that could not be checked gets an <error>; the data family is <skipped> under
// --no-scan. Other findings go to the testcase's <system-out>, so nothing is lost.
#include <fmt/core.h>

#include "utf8.hpp"
#include "validate_render.hpp"

namespace ckpt::cli {

namespace {

// XML 1.0 text and attribute escaping; control characters are not allowed at all, and
// the document says UTF-8, so bytes that are not become U+FFFD.
std::string xml(std::string_view raw) {
  const std::string s = valid_utf8(raw);
  std::string o;
  o.reserve(s.size());
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&apos;";
        break;
      default:
        if (u < 0x20 && ch != '\n' && ch != '\t')
          o += '?';
        else
          o += ch;
    }
  }
  return o;
}

std::string line(const ValidationFinding& f) {
  const std::string& subject = !f.tensor.empty() ? f.tensor : f.field;
  return fmt::format("{} {} at {}{}: {}", severity_name(f.severity), f.rule,
                     f.offset ? "byte " + std::to_string(*f.offset) : std::string("-"),
                     subject.empty() ? "" : " (" + subject + ")", f.message);
}

bool fails(const ValidationFinding& f, bool strict) {
  return f.severity == Severity::error || (strict && f.severity == Severity::warning);
}

bool scan_only_family(std::string_view fam) {
  bool any = false;
  for (const auto& r : rule_catalogue())
    if (rule_family(r.id) == fam) {
      if (!r.needs_scan) return false;
      any = true;
    }
  return any;
}

struct Suite {
  std::string body;
  size_t tests = 0, failures = 0, errors = 0, skipped = 0;
};

Suite file_suite(const FileReport& f, const ValidateRun& run) {
  Suite s;
  for (const auto& fam : f.families) {
    std::vector<const ValidationFinding*> failing, other;
    for (const auto& x : f.findings)
      if (rule_family(x.rule) == fam) (fails(x, run.strict) ? failing : other).push_back(&x);
    ++s.tests;
    s.body += fmt::format("    <testcase classname=\"{}\" name=\"{}\">\n", xml(f.file), xml(fam));
    if (!failing.empty()) {
      std::string text;
      for (auto* x : failing) text += line(*x) + "\n";
      for (const auto& [rule, n] : f.suppressed)
        if (rule_family(rule) == fam) text += fmt::format("... and {} more {} findings\n", n, rule);
      const bool error = f.could_not_run && (fam == "detect" || fam == "io");
      (error ? s.errors : s.failures)++;
      s.body += fmt::format("      <{0} type=\"{1}\" message=\"{2}\">{3}</{0}>\n", error ? "error" : "failure",
                            xml(failing.front()->rule), xml(failing.front()->message), xml(text));
    } else if (!f.scanned && !f.could_not_run && scan_only_family(fam)) {
      ++s.skipped;
      s.body += "      <skipped message=\"data not scanned (--no-scan)\"/>\n";
    }
    if (!other.empty()) {
      std::string text;
      for (auto* x : other) text += line(*x) + "\n";
      s.body += fmt::format("      <system-out>{}</system-out>\n", xml(text));
    }
    s.body += "    </testcase>\n";
  }
  return s;
}

}  // namespace

std::string validate_junit(const ValidateRun& run) {
  std::string suites;
  size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  for (const auto& f : run.files) {
    Suite s = file_suite(f, run);
    tests += s.tests;
    failures += s.failures;
    errors += s.errors;
    skipped += s.skipped;
    suites += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n{}",
                          xml(f.file), s.tests, s.failures, s.errors, s.skipped, s.body);
    suites += "  </testsuite>\n";
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites name=\"ckpt validate\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n{}"
      "</testsuites>\n",
      tests, failures, errors, skipped, suites);
}

}  // namespace ckpt::cli
