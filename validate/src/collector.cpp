// The finding collector shared by every rule, and header field lookups.
#include <algorithm>

#include "rules.hpp"

namespace ckpt::validation {

const HeaderValue* header_field(const Checkpoint& cp, std::string_view name) {
  for (const auto& h : cp.header)
    if (h.name == name) return &h;
  return nullptr;
}

std::optional<uint64_t> field_offset(const Checkpoint& cp, std::string_view name) {
  const HeaderValue* h = header_field(cp, name);
  return h ? std::optional<uint64_t>(h->offset) : std::nullopt;
}

void Collector::add(ValidationFinding f) {
  // A capped rule still counts: the report says how many more there were. Past the cap
  // nothing is remembered, so a hostile file with a finding per tensor stays cheap.
  uint64_t& listed = per_rule_[f.rule];
  if (listed >= cap_) {
    ++suppressed_[f.rule];
    return;
  }
  if (!seen_.insert({f.rule, f.offset.value_or(UINT64_MAX), f.tensor + "\n" + f.field}).second) return;
  ++listed;
  findings_.push_back(std::move(f));
}

void Collector::tensor(std::string_view rule, std::string message, std::optional<uint64_t> offset, std::string name) {
  const RuleInfo* r = find_rule(rule);
  add({std::string(rule), r ? r->severity : Severity::error, std::move(message), offset, std::move(name), {}});
}

void Collector::field(std::string_view rule, std::string message, std::optional<uint64_t> offset, std::string name) {
  const RuleInfo* r = find_rule(rule);
  add({std::string(rule), r ? r->severity : Severity::error, std::move(message), offset, {}, std::move(name)});
}

void Collector::with_severity(std::string_view rule, Severity s, std::string message, std::optional<uint64_t> offset) {
  add({std::string(rule), s, std::move(message), offset, {}, {}});
}

void Collector::parsed(const Finding& f) {
  ValidationFinding v{f.rule, f.severity, f.message, f.offset, {}, {}};
  if (!f.subject.empty()) {
    if (cp_ && cp_->find(f.subject))
      v.tensor = f.subject;
    else
      v.field = f.subject;
  }
  add(std::move(v));
}

bool Collector::has(std::string_view rule) const { return per_rule_.count(std::string(rule)) > 0; }

size_t Collector::errors_in_family(std::string_view family) const {
  return size_t(std::count_if(findings_.begin(), findings_.end(), [&](const ValidationFinding& f) {
    return f.severity == Severity::error && rule_family(f.rule) == family;
  }));
}

}  // namespace ckpt::validation
