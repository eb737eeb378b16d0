#pragma once
// `ckpt validate` as a library: checks one file against the rule catalogue and returns a
// FileReport (format, findings with rule id, severity, offset, tensor or header field).
// Nothing here prints or exits; the CLI renders reports and decides exit codes.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "ckpt/manifest.hpp"
#include "ckpt/rule_catalogue.hpp"

namespace ckpt {

// What --expect pins: header values by name (dim, hidden_dim, n_layers, n_heads,
// n_kv_heads, vocab_size, seq_len, group_size, shared_classifier, head_size, kv_dim) and
// the format.
struct Expectations {
  std::map<std::string, int64_t> values;
  std::optional<Format> format;
  bool empty() const { return values.empty() && !format; }
};

// Parses "dim=288,n_layers=6,format=ak42-v2-q8_0" into `into` (later keys win). Fails with
// "expect.syntax" naming the bad item: unknown key, missing '=', value not an integer,
// unknown format name.
Result<bool> parse_expectations(const std::string& text, Expectations& into);
// The keys parse_expectations accepts, for help texts.
const std::vector<std::string>& expectation_keys();

// A tokenizer to check a model against (--tokenizer): its token count.
struct TokenizerRef {
  std::string name;
  uint64_t n_tokens = 0;
};

struct ValidateOptions {
  bool scan = true;                       // false: structure only (--no-scan), constant time
  std::optional<Format> forced_format;    // --format
  Expectations expect;                    // --expect
  std::optional<TokenizerRef> tokenizer;  // --tokenizer, already parsed
  std::optional<Manifest> manifest;       // --manifest, already parsed
  uint64_t require_alignment = 0;         // --require-alignment N (0: only the fp32 rule)
  unsigned threads = 2;                   // scan threads (tensors are split across them)
  size_t max_findings_per_rule = 20;      // later findings of one rule are counted, not listed
};

struct ValidationFinding {
  std::string rule;
  Severity severity = Severity::error;
  std::string message;
  std::optional<uint64_t> offset;
  std::string tensor;  // canonical tensor name, empty when the finding is not about a tensor
  std::string field;   // header field name, empty when the finding is not about one
};

struct FileReport {
  std::string file;
  Format format = Format::unknown;
  std::string detection;
  bool could_not_run = false;  // no format fits, or unreadable: exit 2 territory
  bool scanned = false;        // the data scan ran
  uint64_t bytes_scanned = 0;  // bytes of tensor data the scan read
  std::vector<ValidationFinding> findings;
  std::map<std::string, uint64_t> suppressed;  // rule -> findings beyond max_findings_per_rule
  std::optional<ModelConfig> config;
  // The rule families this file's checks covered, in catalogue order: one JUnit testcase
  // each (detection and I/O appear only when they failed).
  std::vector<std::string> families;

  size_t count(Severity s) const;
  // Valid: it ran, no error finding, and under strict no warning either.
  bool valid(bool strict) const;
};

// Checks a file. Never fails: every problem, including "no format fits", is a finding
// (could_not_run is set for those that stop the check).
FileReport validate_source(const ByteSource& src, const ValidateOptions& opt);
// The same for a path: a file, or a folder of files that make one model. A path that
// cannot be read is the finding io.open.
FileReport validate_path(const std::string& path, const ValidateOptions& opt);

// A report for a file that could not be opened (rule io.open).
FileReport unreadable_file_report(const std::string& file, const std::string& reason);

}  // namespace ckpt
