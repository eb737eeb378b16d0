// `ckpt inspect FILE`: what a file is, byte by byte, even when it is broken.
#include <fmt/core.h>

#include <thread>

#include "ckpt/inspect_report.hpp"
#include "commands.hpp"
#include "html/inspect_html.hpp"
#include "html/page.hpp"
#include "input.hpp"
#include "inspect_json.hpp"
#include "inspect_text.hpp"

namespace ckpt::cli {

namespace {

// Accepts decimal or 0x-prefixed hexadecimal.
std::optional<uint64_t> parse_offset(const std::string& s) {
  try {
    size_t used = 0;
    const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    uint64_t v = std::stoull(hex ? s.substr(2) : s, &used, hex ? 16 : 10);
    if (used != s.size() - (hex ? 2 : 0) || s[0] == '-') return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

// The file of a folder input that --at FILE:OFFSET names (a byte offset alone would not
// say which of the folder's files it is in); a lone file takes a plain offset.
bool resolve_at_file(const Checkpoint& cp, const std::string& input, const std::string& at_file, InspectOptions& opt,
                     Outcome& out) {
  std::vector<std::string> names;
  for (size_t i = 0; i < cp.file_count && i < cp.sources.size(); ++i) {
    const std::string& n = cp.sources[i] ? cp.sources[i]->name() : std::string();
    names.push_back(n.substr(n.find_last_of('/') + 1));
  }
  // Folders of other families (tt-train metadata folders) map a bare offset themselves.
  const bool per_file = cp.format.has_tag("torch") || cp.format.has_tag("safetensors");
  if (!cp.folder || (!per_file && at_file.empty())) {
    if (at_file.empty()) return true;
    out.usage_error(fmt::format("--at {}:{}: {} is a file; give the offset alone", at_file, *opt.at, input));
    return false;
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (!at_file.empty() && names[i] == at_file) {
      opt.at_source = i;
      return true;
    }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  out.usage_error(fmt::format("--at: {} is a folder; name one of its files as FILE:OFFSET ({}{})", input, list,
                              at_file.empty() ? "" : fmt::format("; {} is none of them", at_file)));
  return false;
}

}  // namespace

Outcome run_inspect(const InspectArgs& a) {
  Outcome out;
  std::optional<Format> forced;
  if (!parse_format_option(a.format, forced, out)) return out;
  if (!a.html.empty() && !html::check_output("--html", a.html, {a.file}, out)) return out;
  InspectOptions opt;
  opt.stats = a.stats || a.hist;
  opt.histograms = a.hist || (opt.stats && !a.html.empty());
  opt.limit = a.limit;
  opt.threads = std::max(1u, std::min(2u, std::thread::hardware_concurrency()));
  // --at OFFSET, or --at FILE:OFFSET for a file of a folder input.
  std::string at_file;
  if (!a.at.empty()) {
    const size_t colon = a.at.rfind(':');
    if (colon != std::string::npos) at_file = a.at.substr(0, colon);
    opt.at = parse_offset(colon == std::string::npos ? a.at : a.at.substr(colon + 1));
    if (!opt.at || (colon != std::string::npos && at_file.empty()))
      return out.usage_error(fmt::format("--at {}: not a byte offset (decimal or 0x hex) or FILE:OFFSET", a.at));
  }
  if (!a.tensor.empty()) opt.tensor = a.tensor;
  auto cp = open_input(a.file, forced, out);
  if (!cp) return out;
  if (opt.at && !resolve_at_file(*cp, a.file, at_file, opt, out)) return out;
  const bool unknown = !cp->format.known();
  auto report = build_inspect_report(std::move(*cp), opt);
  if (!report) return out.error(a.file, report.error());
  if (a.json)
    out.document = inspect_json(*report, a.hist);  // --html alone keeps the JSON as it was
  else
    out.text = inspect_text(*report);
  if (!a.html.empty() && !html::write_page("--html", a.html, html::inspect_html(*report), out)) return out;
  // An ak42 file of an unknown version still shows its header, but nothing ran on it.
  if (unknown) out.usage_error(fmt::format("{}: no known format fits: {}", a.file, report->cp.detection));
  return out;
}

void add_inspect_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<InspectArgs>();
  auto* sub = app.add_subcommand("inspect", "Show the format, header, tensor table and findings of a file");
  sub->add_option("file", args->file, "the file to inspect")->required();
  sub->add_flag("--json", args->json, "print one JSON object (schema ckpt.inspect/1)");
  sub->add_flag("--stats", args->stats, "read the data: min, max, mean, std, absmax, nan, inf, zeros per tensor");
  sub->add_flag("--hist", args->hist,
                "with the statistics, a histogram of each tensor's values (one line, log counts)");
  sub->add_option(
      "--html", args->html,
      "also write a self-contained HTML report: byte map, findings; with --stats histograms and per-layer plots");
  sub->add_option("--tensor", args->tensor, "print the first values of this tensor");
  sub->add_option("--limit", args->limit, "how many values --tensor prints (default 16)");
  sub->add_option(
      "--at", args->at,
      "say what the byte at this offset (decimal or 0x hex) belongs to; FILE:OFFSET for a file of a folder");
  sub->add_option("--format", args->format, "force a layout instead of detecting it");
  sub->callback([args, &exit_code] { exit_code = emit(run_inspect(*args), args->json, "ckpt.inspect/1"); });
}

}  // namespace ckpt::cli
