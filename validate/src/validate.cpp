// Orchestration in three stages: open the file (the families' detection), run the rules
// in a fixed order (header, config, quant, parse findings, size, alignment, pairing,
// data), and list the families covered.
#include "ckpt/validate.hpp"

#include <algorithm>

#include "ckpt/integrity.hpp"
#include "rules.hpp"

namespace ckpt {

size_t FileReport::count(Severity s) const {
  return size_t(
      std::count_if(findings.begin(), findings.end(), [&](const ValidationFinding& f) { return f.severity == s; }));
}

bool FileReport::valid(bool strict) const {
  if (could_not_run || count(Severity::error) > 0) return false;
  // Suppressed findings were over the cap of a rule that also has listed ones, so their
  // severities already show in `findings`.
  return !strict || count(Severity::warning) == 0;
}

FileReport unreadable_file_report(const std::string& file, const std::string& reason) {
  FileReport r;
  r.file = file;
  r.could_not_run = true;
  r.detection = reason;
  r.findings.push_back({"io.open", Severity::error, reason, std::nullopt, {}, {}});
  r.families = {"io"};
  return r;
}

namespace {

using namespace validation;

// Detection (the family's: repairs such as a damaged ak42 magic happen there, so that
// every command reads a file alike). Without a checkpoint, `r` says why (a finding and,
// unless a magic was there, could_not_run).
std::optional<Checkpoint> open_for_validation(Result<Checkpoint> opened, FileReport& r, Collector& out) {
  if (opened) return std::move(*opened);
  const Error& e = opened.error();
  if (e.code == ErrorCode::detect_truncated) {  // a magic, then the end of the file
    out.field("header.truncated", e.message, e.offset, "version");
    r.detection = "ak42 magic";
    return std::nullopt;
  }
  r.could_not_run = true;
  r.detection = e.message;
  const char* rule = e.code == ErrorCode::detect_empty ? "detect.empty"
                     : e.code == ErrorCode::io_open    ? "io.open"
                                                       : "detect.unknown";
  out.tensor(rule, e.message, e.offset);
  return std::nullopt;
}

// The parse's generic "no tensor table" finding repeats what a field-level rule already
// said (which field, at which byte): keep it only when no such rule fired.
bool redundant_parse_finding(const Finding& f, const Collector& out) {
  if (f.rule != "header.value" || !f.subject.empty() || f.message.rfind("no tensor table", 0) != 0) return false;
  return out.errors_in_family("header") + out.errors_in_family("config") + out.errors_in_family("quant") > 0;
}

void run_rules(const RuleContext& ctx, Collector& out, FileReport& r) {
  // Field-level structure rules first, so that the parse's generic findings can defer.
  check_header_values(ctx, out);
  check_shared_flag(ctx, out);
  check_head_config(ctx, out);
  check_group_size(ctx, out);
  for (const Finding& f : ctx.cp.findings)
    if (!redundant_parse_finding(f, out)) out.parsed(f);
  check_padding(ctx, out);
  check_alignment(ctx, out);
  check_expectations(ctx, out);
  check_tokenizer_vocab(ctx, out);
  check_manifest(ctx, out);
  if (ctx.opt.scan && scope_covers(RuleScope::scan, ctx.cp.format)) {
    r.bytes_scanned = scan_data(ctx, out);
    for (const Finding& f : scan_integrity(ctx.cp)) out.parsed(f);
    r.scanned = true;
  }
}

// The families of the rules that applied to this file, plus those of its findings, in
// catalogue order.
std::vector<std::string> covered_families(const FileReport& r, const ValidateOptions& opt) {
  auto applies = [&](const RuleInfo& rule) {
    if (r.could_not_run || rule.scope == RuleScope::any) return false;  // detection: only when it failed
    if (rule.scope == RuleScope::expect) return !opt.expect.empty();
    if (rule.scope == RuleScope::manifest) return opt.manifest.has_value();
    if (rule.scope == RuleScope::tokenizer && opt.tokenizer && r.config) return true;
    return rule_covers(rule, r.format);
  };
  auto has_finding = [&](std::string_view fam) {
    return std::any_of(r.findings.begin(), r.findings.end(),
                       [&](const ValidationFinding& f) { return rule_family(f.rule) == fam; });
  };
  std::vector<std::string> out;
  for (const auto& rule : rule_catalogue()) {
    const std::string fam(rule_family(rule.id));
    if (std::find(out.begin(), out.end(), fam) != out.end()) continue;
    if (applies(rule) || has_finding(fam)) out.push_back(fam);
  }
  return out;
}

}  // namespace

static FileReport validate_opened(const std::string& name, Result<Checkpoint> opened, const ValidateOptions& opt) {
  FileReport r;
  r.file = name;
  Collector out(nullptr, opt.max_findings_per_rule);
  std::optional<Checkpoint> cp = open_for_validation(std::move(opened), r, out);
  if (cp) {
    out.set_checkpoint(&*cp);
    r.format = cp->format;
    r.detection = cp->detection;
    r.config = cp->config;
    run_rules(RuleContext{*cp, opt}, out, r);
  }
  r.findings = out.take_findings();
  r.suppressed = out.take_suppressed();
  r.families = covered_families(r, opt);
  return r;
}

FileReport validate_source(const ByteSource& src, const ValidateOptions& opt) {
  OpenOptions oo;
  oo.forced_format = opt.forced_format;
  return validate_opened(src.name(), open_checkpoint(src, oo), opt);
}

FileReport validate_path(const std::string& path, const ValidateOptions& opt) {
  OpenOptions oo;
  oo.forced_format = opt.forced_format;
  return validate_opened(path, open_path(path, oo), opt);
}

}  // namespace ckpt
