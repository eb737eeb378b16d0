#pragma once
// Internal: what every rule function sees (the parsed file and the options) and where it
// puts findings. One small function per rule or per closely related group of rules.
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "ckpt/validate.hpp"

namespace ckpt::validation {

// Collects findings for one file: looks the severity up in the catalogue, drops exact
// duplicates (a parse finding and a rule saying the same thing at the same byte), and
// keeps at most `cap` findings per rule, counting the rest.
class Collector {
 public:
  Collector(const Checkpoint* cp, size_t cap) : cp_(cp), cap_(cap) {}
  // The file whose tensor names classify parse findings' subjects.
  void set_checkpoint(const Checkpoint* cp) { cp_ = cp; }
  // A finding about a tensor (name) or the file as a whole (empty name).
  void tensor(std::string_view rule, std::string message, std::optional<uint64_t> offset, std::string name = {});
  // A finding about a header field.
  void field(std::string_view rule, std::string message, std::optional<uint64_t> offset, std::string name);
  // A finding whose severity is not the catalogue's (layout.q8_order).
  void with_severity(std::string_view rule, Severity s, std::string message, std::optional<uint64_t> offset);
  // A parse finding: its subject is classified as a tensor when the file has one by that name.
  void parsed(const Finding& f);

  bool has(std::string_view rule) const;
  size_t errors_in_family(std::string_view family) const;
  std::vector<ValidationFinding> take_findings() { return std::move(findings_); }
  std::map<std::string, uint64_t> take_suppressed() { return std::move(suppressed_); }

 private:
  void add(ValidationFinding f);
  const Checkpoint* cp_;
  size_t cap_;
  std::vector<ValidationFinding> findings_;
  std::map<std::string, uint64_t> per_rule_;
  std::map<std::string, uint64_t> suppressed_;
  std::set<std::tuple<std::string, uint64_t, std::string>> seen_;
};

struct RuleContext {
  const Checkpoint& cp;
  const ValidateOptions& opt;
  const ByteSource& src() const { return cp.source(); }  // the input file itself
};

// The header field of that name, or nullptr (the field is cut off or not in this format).
const HeaderValue* header_field(const Checkpoint& cp, std::string_view name);
// Offset of a header field, nullopt when absent.
std::optional<uint64_t> field_offset(const Checkpoint& cp, std::string_view name);

// structure_rules.cpp
void check_header_values(const RuleContext& c, Collector& out);  // header.value
void check_shared_flag(const RuleContext& c, Collector& out);    // header.shared_flag
void check_padding(const RuleContext& c, Collector& out);        // header.padding
void check_head_config(const RuleContext& c, Collector& out);    // config.*
void check_group_size(const RuleContext& c, Collector& out);     // quant.group_*

// alignment_rules.cpp
void check_alignment(const RuleContext& c, Collector& out);  // align.f32, align.required

// pairing_rules.cpp
void check_expectations(const RuleContext& c, Collector& out);     // expect.*
void check_tokenizer_vocab(const RuleContext& c, Collector& out);  // tokenizer.vocab

// manifest_rules.cpp
void check_manifest(const RuleContext& c, Collector& out);  // manifest.*

// scan.cpp: the data rules (data.*, quant.scale_*, quant.int8_min). Returns bytes read.
uint64_t scan_data(const RuleContext& c, Collector& out);

}  // namespace ckpt::validation
