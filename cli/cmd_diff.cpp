// `ckpt diff A B`: numeric (or with --bytes, byte-level) comparison of two weight files
// of any formats, tensors matched by canonical name.
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "ckpt/diff.hpp"
#include "commands.hpp"
#include "diff_json.hpp"
#include "diff_text.hpp"
#include "html/diff_html.hpp"
#include "html/page.hpp"
#include "input.hpp"

namespace ckpt::cli {

namespace {

// "\rckpt diff: 42% of 2.1 GB" on stderr, at most five times a second, and only when
// stderr is a terminal and the run is long enough to be worth it.
class Progress {
 public:
  Progress() : enabled_(::isatty(2) == 1), start_(std::chrono::steady_clock::now()) {}
  ~Progress() {
    if (shown_) fmt::print(stderr, "\r\033[K");
  }
  DiffProgress callback() {
    if (!enabled_) return {};
    return [this](uint64_t done, uint64_t total) {
      const auto now = std::chrono::steady_clock::now();
      if (now - start_ < std::chrono::milliseconds(500) || now - last_ < std::chrono::milliseconds(200)) return;
      last_ = now;
      shown_ = true;
      fmt::print(stderr, "\rckpt diff: {:3.0f}% of {:.1f} GB", total ? 100.0 * double(done) / double(total) : 100.0,
                 double(total) / 1e9);
    };
  }

 private:
  bool enabled_, shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace

Outcome run_diff(const DiffArgs& a) {
  Outcome out;
  std::optional<Format> fa, fb;
  if (!parse_format_option(a.format_a, fa, out) || !parse_format_option(a.format_b, fb, out)) return out;
  for (auto v : {a.atol, a.rtol})
    if (v && !(*v >= 0)) return out.usage_error("tolerances must be non-negative numbers");
  if (!a.html.empty() && a.bytes)
    return out.usage_error("--html draws the numeric comparison: it does not apply to --bytes");
  if (!a.html.empty() && !html::check_output("--html", a.html, {a.a, a.b}, out)) return out;
  auto ca = open_input(a.a, fa, out);
  if (!ca) return out;
  auto cb = open_input(a.b, fb, out);
  if (!cb) return out;
  DiffReport report;
  Progress progress;
  if (a.bytes) {
    for (const Checkpoint* cp : {&*ca, &*cb})
      if (cp->folder) return out.usage_error(fmt::format("{}: a folder; --bytes compares two files", cp->path));
    auto bytes = diff_bytes(*ca, *cb, a.max_report, progress.callback());
    if (!bytes) return out.error(a.a, bytes.error());
    report.path_a = a.a;
    report.path_b = a.b;
    report.format_a = ca->format;
    report.format_b = cb->format;
    report.config_a = ca->config;
    report.config_b = cb->config;
    report.bytes = std::move(*bytes);
    if (ca->format != cb->format)
      report.notes.push_back(
          "the layouts differ: bytes differ even where the values are equal (compare values without --bytes)");
  } else {
    for (const std::string& g : unmatched_globs(*ca, *cb, a.tensors))
      return out.usage_error(fmt::format("--tensor '{}' matches no tensor of either file", g));
    for (const Checkpoint* cp : {&*ca, &*cb})
      if (!cp->format.has_tag("weights"))
        return out.usage_error(
            fmt::format("{}: {} is not a weight file; compare it with --bytes", cp->path, cp->format.name()));
    DiffOptions opt;
    opt.atol = a.atol;
    opt.rtol = a.rtol;
    opt.ulp = a.ulp;
    opt.equal_nan = a.equal_nan;
    opt.max_report = a.max_report;
    opt.diagnose = !a.no_diagnose;
    opt.tensors = a.tensors;
    opt.stop_at_first_difference = a.quiet;  // only the exit code is wanted
    opt.error_shapes = !a.html.empty();
    opt.threads = a.threads ? a.threads : std::max(1u, std::min(2u, std::thread::hardware_concurrency()));
    auto r = diff_checkpoints(*ca, *cb, opt, progress.callback());
    if (!r) return out.error(r.error().message.find(a.b) != std::string::npos ? a.b : a.a, r.error());
    report = std::move(*r);
    report.path_a = a.a;
    report.path_b = a.b;
  }
  if (a.json)
    out.document = diff_json(report);
  else if (a.summary)
    out.text = diff_table(report);
  else if (!a.quiet)
    out.text = diff_text(report);
  if (!a.html.empty() && !html::write_page("--html", a.html, html::diff_html(report, {a.html_tensors}), out))
    return out;
  out.worsen(report.equal() ? Verdict::ok : Verdict::finding);
  return out;
}

void add_diff_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DiffArgs>();
  auto* sub = app.add_subcommand("diff", "Compare two weight files of any formats, tensor by tensor or byte by byte");
  sub->add_option("a", args->a, "the first file (A)")->required();
  sub->add_option("b", args->b, "the second file (B)")->required();
  sub->add_option("--atol", args->atol, "absolute tolerance: |a - b| <= atol + rtol * |b| (numpy's rule)");
  sub->add_option("--rtol", args->rtol, "relative tolerance, relative to B");
  sub->add_option("--ulp", args->ulp, "equal when at most N units in the last place apart");
  sub->add_flag("--equal-nan", args->equal_nan, "NaN equals NaN");
  sub->add_option("--max-report", args->max_report,
                  "first mismatches per tensor / first byte ranges to report (default 10)");
  auto* bytes =
      sub->add_flag("--bytes", args->bytes, "compare byte by byte and map differing ranges to fields and elements");
  auto* json = sub->add_flag("--json", args->json, "print one JSON object (schema ckpt.diff/1)");
  auto* quiet = sub->add_flag("-q,--quiet", args->quiet,
                              "print nothing and answer by the exit code alone (stops at the first difference)");
  auto* summary =
      sub->add_flag("--summary", args->summary, "one line per tensor: name, status, max_abs, rmse, cosine, diagnosis");
  quiet->excludes(json)->excludes(summary);
  summary->excludes(json)->excludes(bytes);
  sub->add_option("--tensor", args->tensors,
                  "compare only tensors whose canonical name matches GLOB (* ? [..]; repeatable)")
      ->type_name("GLOB")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false)
      ->excludes(bytes);
  sub->add_flag("--no-diagnose", args->no_diagnose, "skip the diagnoses of differing tensors");
  sub->add_option("--html", args->html,
                  "also write a self-contained HTML report: tensor heatmap, error histograms, row/column profiles");
  sub->add_option("--html-tensors", args->html_tensors, "tensors the HTML report shows in detail (default 10)");
  sub->add_option("--threads", args->threads, "worker threads (default: 2, or 1 on a single core)");
  sub->add_option("--format-a", args->format_a, "force A's layout instead of detecting it");
  sub->add_option("--format-b", args->format_b, "force B's layout instead of detecting it");
  sub->callback([args, &exit_code] { exit_code = emit(run_diff(*args), args->json, "ckpt.diff/1"); });
}

}  // namespace ckpt::cli
