#pragma once
// The subcommands. Each has its arguments as a struct, a run function that returns an
// Outcome (never printing: tests call it directly), and a function that registers it on
// the CLI11 app and emits the outcome.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "outcome.hpp"

namespace ckpt::cli {

struct InspectArgs {
  std::string file;
  bool json = false, stats = false;
  bool hist = false;  // --hist: histograms with the statistics
  std::string html;   // --html FILE: also write the HTML report there
  std::string at, tensor, format;
  uint64_t limit = 16;
};
Outcome run_inspect(const InspectArgs& a);

struct ValidateArgs {
  std::vector<std::string> files, expect;
  std::string format, tokenizer, junit, manifest;
  bool json = false, strict = false, no_scan = false, list_rules = false;
  uint64_t require_alignment = 0;
  unsigned threads = 2;
};
Outcome run_validate(const ValidateArgs& a);

struct DiffArgs {
  std::string a, b, format_a, format_b;
  std::optional<double> atol, rtol;
  std::optional<uint64_t> ulp;
  bool equal_nan = false, json = false, bytes = false, no_diagnose = false;
  bool quiet = false, summary = false;  // -q: exit code only; --summary: one line per tensor
  std::vector<std::string> tensors;     // --tensor GLOB (repeatable)
  uint64_t max_report = 10;
  unsigned threads = 0;
  std::string html;            // --html FILE: also write the HTML report there
  uint64_t html_tensors = 10;  // --html-tensors N
};
Outcome run_diff(const DiffArgs& a);

struct ConvertArgs {
  std::string in, out, to, format;
  std::string prefix = "llama/llama";
  int64_t group_size = 0;
  int64_t n_heads = 0, vocab_size = 0, seq_len = 0;  // values some sources do not store
  std::string dtype, max_shard_size;                 // folder targets
  std::string ttml_template;                         // ttml-msgpack as llama_export.py writes it
  bool allow_lossy = false, force = false, meta_style = false;
};
Outcome run_convert(const ConvertArgs& a);

struct HashArgs {
  std::vector<std::string> files;
  std::string algo = "xxh64", format;
  bool values = false, json = false;
  int64_t vocab_size = 0;
};
Outcome run_hash(const HashArgs& a);

void add_inspect_command(CLI::App& app, int& exit_code);
void add_validate_command(CLI::App& app, int& exit_code);
void add_diff_command(CLI::App& app, int& exit_code);
void add_convert_command(CLI::App& app, int& exit_code);
void add_hash_command(CLI::App& app, int& exit_code);

}  // namespace ckpt::cli
