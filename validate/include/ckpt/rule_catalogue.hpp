#pragma once
// The validation rule catalogue: every finding `ckpt validate` can report has a stable id
// listed here with its severity, its family (the id's prefix, one JUnit testcase each),
// what it checks and why it matters. Ids never change meaning; new rules get new ids.
#include <string_view>
#include <vector>

#include "ckpt/finding.hpp"
#include "ckpt/format.hpp"

namespace ckpt {

// Which files a rule can apply to: decides the JUnit testcases listed for a file. A
// format is covered by a scope when its family tags it so (FormatInfo::tags).
enum class RuleScope {
  any,         // every file (detection)
  checkpoint,  // every llama2.c layout (v0 and ak42)
  ak42,        // the ak42 layouts only
  q8,          // the Q8_0 layouts only
  v2,          // the two ak42 v2 layouts
  v0,          // llama2.c legacy only
  tokenizer,   // tokenizer files, and models validated with --tokenizer
  ttml,        // tt-train msgpack (bfloat16 tensors)
  expect,      // only when --expect is given
  manifest,    // only when --manifest is given
  scan,        // checkpoints, only when the data is scanned
  tagged,      // files whose format has the rule's tag (the families' own rules)
};

struct RuleInfo {
  std::string_view id;
  Severity severity;  // the usual severity; a finding may carry another (layout.q8_order)
  RuleScope scope;
  bool needs_scan;  // checked only when the data is scanned (not under --no-scan)
  std::string_view what;
  std::string_view why;
  std::string_view tag = {};  // RuleScope::tagged: the format tag

  RuleInfo(std::string_view i, Severity s, RuleScope sc, bool scan, std::string_view w, std::string_view y,
           std::string_view t = {})
      : id(i), severity(s), scope(sc), needs_scan(scan), what(w), why(y), tag(t) {}
};

// Every rule, in documentation order (grouped by family): validate's own, then every
// format family's (family_rules.hpp).
const std::vector<RuleInfo>& rule_catalogue();
// The rule with this id, or nullptr.
const RuleInfo* find_rule(std::string_view id);
// The family of a rule id: the part before the first dot ("size.truncated" -> "size").
std::string_view rule_family(std::string_view id);
// The tag of a scope ("checkpoint", "q8", ...): formats list the tags that cover them
// (FormatInfo::tags), so no rule names a format.
std::string_view rule_scope_tag(RuleScope scope);
// Whether a rule's scope covers a file of this format (scan and expect scopes also need
// the matching option; the caller decides those).
bool scope_covers(RuleScope scope, Format f);
bool rule_covers(const RuleInfo& rule, Format f);

}  // namespace ckpt
