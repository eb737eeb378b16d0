#pragma once
// The findings a format family reports while reading its files (container structure,
// pickle security, cross-file checks of a folder) are rules like validate's own: each
// family lists its rules here, and the validate catalogue includes them, so adding a
// family does not touch the catalogue.
#include <string_view>
#include <vector>

#include "ckpt/finding.hpp"

namespace ckpt {

struct FamilyRule {
  std::string_view id;
  Severity severity;
  std::string_view scope;  // the format tag of the files it applies to (FormatInfo::tags)
  bool needs_scan;         // checked only when the data is read (not under --no-scan)
  std::string_view what;   // what it checks
  std::string_view why;    // why it matters
};

// Every registered family's rules, in registration order.
std::vector<FamilyRule> family_rules();

}  // namespace ckpt
