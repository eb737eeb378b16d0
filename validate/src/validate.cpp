// Orchestration: open the file, run the rules in a fixed order (header, config, quant,
// size, alignment, pairing, data), and return one FileReport.
#include "ckpt/validate.hpp"

#include <algorithm>
#include <cstdio>

#include "rules.hpp"

namespace ckpt {

size_t FileReport::count(Severity s) const {
  return size_t(std::count_if(findings.begin(), findings.end(), [&](const ValidationFinding& f) {
    return f.severity == s;
  }));
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

using namespace vdetail;

// Detection failed. Three cases: the ak42 magic is there but the file stops before the
// version (a finding about a known format), the magic alone is damaged (rescued), or
// nothing fits (could not run).
std::optional<Checkpoint> open_failed(const ByteSource& src, const Error& e, FileReport& r, Collector& out) {
  if (e.code == "detect.truncated") {
    out.field("header.truncated", e.message, e.offset, "version");
    r.detection = "ak42 magic";
    return std::nullopt;
  }
  if (e.code == "detect.unknown" || e.code == "detect.v0_misfit") {
    if (auto f = ak42_with_bad_magic(src)) {
      OpenOptions forced;
      forced.forced_format = *f;
      auto cp = open_checkpoint(src, forced);
      if (cp) {
        uint8_t m[4] = {};
        src.read(0, m, 4);
        char hex[16];
        std::snprintf(hex, sizeof hex, "%02x %02x %02x %02x", m[0], m[1], m[2], m[3]);
        out.field("header.magic",
                  std::string("bytes 0..3 are ") + hex + ", not the ak42 magic 32 34 6b 61, but the rest of the " +
                      "header describes a " + std::string(format_name(*f)) + " file of exactly this size",
                  uint64_t(0), "magic");
        cp->detection = "damaged ak42 magic; the header and the size fit " + std::string(format_name(*f));
        return std::move(*cp);
      }
    }
  }
  r.could_not_run = true;
  r.detection = e.message;
  out.tensor(e.code == "detect.empty" ? "detect.empty" : "detect.unknown", e.message, e.offset);
  return std::nullopt;
}

// The parse's generic "no tensor table" finding repeats what a field-level rule already
// said (which field, at which byte): keep it only when no such rule fired.
bool redundant_parse_finding(const Finding& f, const Collector& out) {
  if (f.rule != "header.value" || !f.subject.empty() || f.message.rfind("no tensor table", 0) != 0) return false;
  return out.errors_in_family("header") + out.errors_in_family("config") + out.errors_in_family("quant") > 0;
}

}  // namespace

namespace {
std::vector<std::string> covered_families(const FileReport& r, const ValidateOptions& opt);
}  // namespace

FileReport validate_source(const ByteSource& src, const ValidateOptions& opt) {
  FileReport r;
  r.file = src.name();
  OpenOptions oo;
  oo.forced_format = opt.forced_format;
  auto opened = open_checkpoint(src, oo);
  std::optional<Checkpoint> cp;
  if (opened) cp = std::move(*opened);
  // A damaged ak42 magic often leaves a header that still looks like a v0 one (version,
  // dim, ... are plausible ints) whose size does not fit: prefer the exact ak42 fit.
  const bool v0_misfit = cp && !opt.forced_format && cp->format == Format::llama2c_v0 &&
                         cp->expected_size.value_or(0) != cp->file_size;
  if (v0_misfit && ak42_with_bad_magic(src)) {
    cp.reset();
    opened = Error{"detect.v0_misfit", "v0 header whose size does not fit", {}};
  }

  Collector out(nullptr, opt.max_findings_per_rule);
  if (!cp) {
    cp = open_failed(src, opened.error(), r, out);
    if (!cp) {
      r.findings = out.take_findings();
      r.suppressed = out.take_suppressed();
      r.families = covered_families(r, opt);
      return r;
    }
  }
  out.set_checkpoint(&*cp);
  const bool v2 = cp->format == Format::ak42_v2_q8_0 || cp->format == Format::ak42_v2_q8_0_scales_last;
  if (v2 && !opt.forced_format && cp->config && cp->q8_order && !cp->q8_order->interleaved_fits &&
      !cp->q8_order->scales_last_fits) {
    if (auto order = tolerant_v2_order(src, *cp->config)) {
      // Still an error (neither order is clean), but the data findings now point at the
      // bytes that broke the test instead of at a misread layout.
      out.with_severity("layout.q8_order", Severity::error, order->message, uint64_t(256));
      if (order->format != cp->format) {
        OpenOptions forced;
        forced.forced_format = order->format;
        if (auto re = open_checkpoint(src, forced)) {
          re->detection = cp->detection + "; " + order->message;
          cp = std::move(*re);
        }
      }
    }
  }
  r.format = cp->format;
  r.detection = cp->detection;
  r.config = cp->config;

  const RuleContext ctx{src, *cp, opt};
  // Field-level structure rules first, so that the parse's generic findings can defer.
  check_header_values(ctx, out);
  check_shared_flag(ctx, out);
  check_head_config(ctx, out);
  check_group_size(ctx, out);
  for (const auto& f : cp->findings)
    if (!redundant_parse_finding(f, out)) out.parsed(f);
  check_padding(ctx, out);
  check_q8_order(ctx, out);
  check_alignment(ctx, out);
  check_expectations(ctx, out);
  check_tokenizer_vocab(ctx, out);
  if (opt.scan && scope_covers(RuleScope::scan, cp->format)) {
    r.bytes_scanned = scan_data(ctx, out);
    r.scanned = true;
  }
  r.findings = out.take_findings();
  r.suppressed = out.take_suppressed();
  r.families = covered_families(r, opt);
  return r;
}

namespace {

std::vector<std::string> covered_families(const FileReport& r, const ValidateOptions& opt) {
  std::vector<std::string> out;
  auto add = [&](std::string_view fam) {
    if (std::find(out.begin(), out.end(), fam) == out.end()) out.emplace_back(fam);
  };
  for (const auto& rule : rule_catalogue()) {
    bool applies = !r.could_not_run && scope_covers(rule.scope, r.format);
    if (rule.scope == RuleScope::any) applies = false;  // detection: listed only when it failed
    if (rule.scope == RuleScope::expect) applies = !r.could_not_run && !opt.expect.empty();
    if (rule.scope == RuleScope::tokenizer && opt.tokenizer && is_llama2c_checkpoint(r.format)) applies = true;
    if (applies) add(rule_family(rule.id));
  }
  // Families with findings are always listed (detection failures, parse findings).
  for (const auto& f : r.findings) add(rule_family(f.rule));
  // Keep catalogue order.
  std::vector<std::string> ordered;
  for (const auto& rule : rule_catalogue()) {
    const auto fam = std::string(rule_family(rule.id));
    if (std::find(out.begin(), out.end(), fam) != out.end() &&
        std::find(ordered.begin(), ordered.end(), fam) == ordered.end())
      ordered.push_back(fam);
  }
  return ordered;
}

}  // namespace

}  // namespace ckpt
