// Orchestration in three stages: open the file (detection, then the two second opinions
// of rescue.cpp and q8_order.cpp), run the rules in a fixed order (header, config, quant,
// parse findings, size, alignment, pairing, data), and list the families covered.
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

// An ak42 file whose magic alone is damaged, opened as the layout its header and size fit.
std::optional<Checkpoint> open_with_bad_magic(const ByteSource& src, Collector& out) {
  const auto f = ak42_with_bad_magic(src);
  if (!f) return std::nullopt;
  OpenOptions forced;
  forced.forced_format = *f;
  auto cp = open_checkpoint(src, forced);
  if (!cp) return std::nullopt;
  uint8_t m[4] = {};
  src.read(0, m, 4);
  char hex[16];
  std::snprintf(hex, sizeof hex, "%02x %02x %02x %02x", m[0], m[1], m[2], m[3]);
  out.field("header.magic",
            std::string("bytes 0..3 are ") + hex + ", not the ak42 magic 32 34 6b 61, but the rest of the header " +
                "describes a " + std::string(format_name(*f)) + " file of exactly this size",
            uint64_t(0), "magic");
  cp->detection = "damaged ak42 magic; the header and the size fit " + std::string(format_name(*f));
  return std::move(*cp);
}

// When the strict v2 order test rejects both orders, re-opens in the order the tolerant
// test prefers (if any), and says so as an error.
void settle_v2_order(const ByteSource& src, const ValidateOptions& opt, Checkpoint& cp, Collector& out) {
  const bool v2 = cp.format == Format::ak42_v2_q8_0 || cp.format == Format::ak42_v2_q8_0_scales_last;
  if (!v2 || opt.forced_format || !cp.config || !cp.q8_order) return;
  if (cp.q8_order->interleaved_fits || cp.q8_order->scales_last_fits) return;
  const auto order = tolerant_v2_order(src, *cp.config);
  if (!order) return;
  // Still an error (neither order is clean), but the data findings now point at the bytes
  // that broke the test instead of at a misread layout.
  out.with_severity("layout.q8_order", Severity::error, order->message, uint64_t(256));
  if (order->format == cp.format) return;
  OpenOptions forced;
  forced.forced_format = order->format;
  if (auto re = open_checkpoint(src, forced)) {
    re->detection = cp.detection + "; " + order->message;
    cp = std::move(*re);
  }
}

// Detection plus the second opinions. Without a checkpoint, `r` says why (a finding and,
// unless the ak42 magic was there, could_not_run).
std::optional<Checkpoint> open_for_validation(const ByteSource& src, const ValidateOptions& opt, FileReport& r,
                                              Collector& out) {
  OpenOptions oo;
  oo.forced_format = opt.forced_format;
  auto opened = open_checkpoint(src, oo);
  if (opened) {
    // A damaged ak42 magic often leaves a header that still looks like a v0 one (version,
    // dim, ... are plausible ints) whose size does not fit: prefer an exact ak42 fit.
    const Checkpoint& cp = *opened;
    const bool v0_misfit = !opt.forced_format && cp.format == Format::llama2c_v0 &&
                           cp.expected_size.value_or(0) != cp.file_size;
    if (v0_misfit)
      if (auto rescued = open_with_bad_magic(src, out)) return rescued;
    return std::move(*opened);
  }
  const Error& e = opened.error();
  if (e.code == "detect.truncated") {  // the ak42 magic, then the end of the file
    out.field("header.truncated", e.message, e.offset, "version");
    r.detection = "ak42 magic";
    return std::nullopt;
  }
  if (e.code == "detect.unknown")
    if (auto rescued = open_with_bad_magic(src, out)) return rescued;
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

// What a size mismatch most likely means, when it has a well-known cause.
std::string size_hint(const Checkpoint& cp) {
  if (!cp.config || cp.format != Format::llama2c_v0) return {};
  const ModelConfig& c = *cp.config;
  const uint64_t classifier = uint64_t(c.vocab_size) * uint64_t(c.dim) * 4;
  if (c.shared_classifier && cp.trailing_bytes == classifier)
    return "; the trailing bytes are exactly an output.weight (vocab_size x dim fp32): the writer stored an "
           "untied classifier but left vocab_size positive (v0 marks it with a negative vocab_size)";
  return {};
}

void run_rules(const RuleContext& ctx, Collector& out, FileReport& r) {
  // Field-level structure rules first, so that the parse's generic findings can defer.
  check_header_values(ctx, out);
  check_shared_flag(ctx, out);
  check_head_config(ctx, out);
  check_group_size(ctx, out);
  for (Finding f : ctx.cp.findings) {
    if (redundant_parse_finding(f, out)) continue;
    if (f.rule == "size.trailing") f.message += size_hint(ctx.cp);
    out.parsed(f);
  }
  check_padding(ctx, out);
  check_q8_order(ctx, out);
  check_alignment(ctx, out);
  check_expectations(ctx, out);
  check_tokenizer_vocab(ctx, out);
  check_manifest(ctx, out);
  if (ctx.opt.scan && scope_covers(RuleScope::scan, ctx.cp.format)) {
    r.bytes_scanned = scan_data(ctx, out);
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
    if (rule.scope == RuleScope::tokenizer && opt.tokenizer && is_llama2c_checkpoint(r.format)) return true;
    return scope_covers(rule.scope, r.format);
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

FileReport validate_source(const ByteSource& src, const ValidateOptions& opt) {
  FileReport r;
  r.file = src.name();
  Collector out(nullptr, opt.max_findings_per_rule);
  std::optional<Checkpoint> cp = open_for_validation(src, opt, r, out);
  if (cp) {
    out.set_checkpoint(&*cp);
    settle_v2_order(src, opt, *cp, out);
    r.format = cp->format;
    r.detection = cp->detection;
    r.config = cp->config;
    run_rules(RuleContext{src, *cp, opt}, out, r);
  }
  r.findings = out.take_findings();
  r.suppressed = out.take_suppressed();
  r.families = covered_families(r, opt);
  return r;
}

}  // namespace ckpt
