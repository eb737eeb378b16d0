// `ckpt validate FILE...`: a verdict per file for CI. Exit 0 when every file is valid,
// 1 when any is invalid (an error, or a warning under --strict), 2 when it could not run
// (usage error, unreadable file, no known format): 2 wins over 1.
#include <fmt/core.h>

#include <fstream>
#include <iterator>
#include <thread>

#include "ckpt/byte_sink.hpp"
#include "commands.hpp"
#include "input.hpp"
#include "validate_render.hpp"

namespace ckpt::cli {

namespace {

bool write_junit(const std::string& path, const std::string& xml, Outcome& out) {
  auto f = AtomicFile::create(path);
  if (!f) {
    out.usage_error(fmt::format("--junit {}: {}", path, f.error().message));
    return false;
  }
  auto w = (*f)->write_at(0, xml.data(), xml.size());
  if (w) w = (*f)->commit();
  if (!w) {
    out.usage_error(fmt::format("--junit {}: {}", path, w.error().message));
    return false;
  }
  return true;
}

// Opens and checks the --tokenizer file: its own report, and its token count for the models.
bool load_tokenizer(const std::string& path, ValidateOptions& opt, std::vector<FileReport>& reports, Outcome& out) {
  auto src = FileSource::open(path);
  if (!src) {
    out.usage_error(fmt::format("--tokenizer {}", src.error().message));
    return false;
  }
  // --tokenizer names a llama2.c tokenizer.bin: read it as one, whatever detection says.
  const auto tokenizer_format = parse_format_name("llama2c-tokenizer");
  ValidateOptions topt;
  topt.forced_format = tokenizer_format;
  reports.push_back(validate_source(**src, topt));
  OpenOptions oo;
  oo.forced_format = tokenizer_format;
  auto cp = open_checkpoint(**src, oo);
  if (cp && cp->tokenizer) opt.tokenizer = TokenizerRef{path, cp->tokenizer->n_tokens};
  return true;
}

}  // namespace

Outcome run_validate(const ValidateArgs& a) {
  Outcome out;
  if (a.list_rules) {
    if (a.json)
      out.document = rules_json();
    else
      out.text = rules_text();
    return out;
  }
  if (a.files.empty()) return out.usage_error("validate needs at least one FILE (or --list-rules)");
  // The report must never replace what it reports on: refuse before checking anything.
  if (!a.junit.empty()) {
    std::vector<std::string> inputs = a.files;
    for (const auto* extra : {&a.tokenizer, &a.manifest})
      if (!extra->empty()) inputs.push_back(*extra);
    for (const auto& in : inputs)
      if (same_file(a.junit, in))
        return out.usage_error(fmt::format("--junit {}: refusing to overwrite the input {}", a.junit, in));
  }
  ValidateRun run;
  run.strict = a.strict;
  ValidateOptions& opt = run.options;
  if (!parse_format_option(a.format, opt.forced_format, out)) return out;
  for (const auto& e : a.expect) {
    auto r = parse_expectations(e, opt.expect);
    if (!r) return out.usage_error(fmt::format("--expect {}: {}", e, r.error().message));
  }
  if (a.require_alignment != 0 &&
      (a.require_alignment > 4096 || (a.require_alignment & (a.require_alignment - 1)) != 0))
    return out.usage_error(
        fmt::format("--require-alignment {}: must be a power of two from 1 to 4096", a.require_alignment));
  opt.require_alignment = a.require_alignment;
  opt.scan = !a.no_scan;
  opt.threads = std::max(1u, std::min(a.threads, std::max(1u, std::thread::hardware_concurrency())));

  if (!a.manifest.empty()) {
    std::ifstream in(a.manifest, std::ios::binary);
    if (!in) return out.usage_error(fmt::format("--manifest {}: cannot open it", a.manifest));
    std::string text((std::istreambuf_iterator<char>(in)), {});
    auto m = parse_manifest(text);
    if (!m) return out.usage_error(fmt::format("--manifest {}: {}", a.manifest, m.error().message));
    opt.manifest = std::move(*m);
  }

  std::vector<FileReport> tokenizer_report;
  if (!a.tokenizer.empty() && !load_tokenizer(a.tokenizer, opt, tokenizer_report, out)) return out;

  for (const auto& path : a.files) {
    run.files.push_back(validate_path(path, opt));
    const FileReport& r = run.files.back();
    // An unreadable path is also an error line (its message names the file).
    if (r.could_not_run && !r.findings.empty() && r.findings[0].rule == "io.open")
      out.error("", Error{ErrorCode::io_open, r.findings[0].message, {}});
  }
  for (auto& t : tokenizer_report) {
    t.file = a.tokenizer;
    run.files.push_back(std::move(t));
  }

  if (a.json)
    out.document = validate_json(run);
  else
    out.text = validate_text(run);
  for (const auto& f : run.files)
    out.worsen(f.could_not_run ? Verdict::cannot_run : f.valid(a.strict) ? Verdict::ok : Verdict::finding);
  if (!a.junit.empty()) write_junit(a.junit, validate_junit(run), out);
  return out;
}

void add_validate_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ValidateArgs>();
  auto* sub = app.add_subcommand("validate", "Check files against the rule catalogue: a verdict and exit code for CI");
  sub->add_option("files", args->files, "the files to check");
  sub->add_flag("--json", args->json, "print one JSON object (schema ckpt.validate/1)");
  sub->add_option("--junit", args->junit, "also write JUnit XML to this file (one testcase per file and rule family)");
  sub->add_flag("--strict", args->strict, "warnings make a file invalid too");
  sub->add_option("--format", args->format, "force a layout instead of detecting it");
  sub->add_option("--expect", args->expect,
                  "fail files whose config differs: dim=288,n_layers=6,format=ak42-v2-q8_0,... (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  sub->add_option("--tokenizer", args->tokenizer, "check this tokenizer too, and its token count against each model");
  sub->add_option("--manifest", args->manifest,
                  "check every tensor's hash against a manifest written by `ckpt hash` (keyed by tensor name)");
  sub->add_flag("--no-scan", args->no_scan, "structure only: read the header, not the data (constant time)");
  sub->add_option("--require-alignment", args->require_alignment,
                  "every array must start at a multiple of N bytes (a power of two up to 4096)");
  sub->add_option("--threads", args->threads, "threads for the data scan (default 2)");
  sub->add_flag("--list-rules", args->list_rules, "print the rule catalogue (with --json: as JSON) and exit");
  sub->callback([args, &exit_code] { exit_code = emit(run_validate(*args), args->json, "ckpt.validate/1"); });
}

}  // namespace ckpt::cli
