// What the commands print, on arbitrary bytes: inspect (stats, --at, --tensor values),
// validate, diff against a tiny v0 model (numeric and --bytes) and hash, each rendered
// as text, JSON and JUnit. Serialising JSON must not throw (nlohmann throws on invalid
// UTF-8) and every document must be UTF-8: names come from the file (msgpack keys are
// any bytes), and a report that cannot be printed is as bad as a crash. (Parsing each
// document back under nlohmann's parser was tried: it cost half the executions.)
#include <cstddef>
#include <cstdint>

#include "ckpt/diff.hpp"
#include "ckpt/hash.hpp"
#include "ckpt/inspect_report.hpp"
#include "ckpt/validate.hpp"
#include "diff_json.hpp"
#include "diff_text.hpp"
#include "inspect_json.hpp"
#include "inspect_text.hpp"
#include "reference_model.hpp"
#include "utf8.hpp"
#include "validate_render.hpp"

namespace {

void must_print(const nlohmann::json& j) {
  const std::string text = ckpt::cli::json_text(j);  // an exception here aborts the run
  if (ckpt::cli::valid_utf8(text) != text) __builtin_trap();
}

void render_inspect(const ckpt::ByteSource& src, ckpt::Checkpoint cp, size_t size) {
  ckpt::InspectOptions opt;
  opt.stats = true;
  opt.threads = 1;
  opt.at = size / 3;
  opt.limit = 8;
  if (!cp.tensors.empty()) opt.tensor = cp.tensors[size % cp.tensors.size()].spec.name;
  auto r = ckpt::build_inspect_report(std::move(cp), opt);
  if (!r) return;
  (void)ckpt::cli::inspect_text(*r);
  must_print(ckpt::cli::inspect_json(*r));
}

void render_validate(const ckpt::ByteSource& src) {
  ckpt::cli::ValidateRun run;
  run.options.threads = 1;
  run.strict = true;
  run.files.push_back(ckpt::validate_source(src, run.options));
  (void)ckpt::cli::validate_text(run);
  must_print(ckpt::cli::validate_json(run));
  const std::string junit = ckpt::cli::validate_junit(run);
  if (ckpt::cli::valid_utf8(junit) != junit) __builtin_trap();
}

void render_diff(const ckpt::ByteSource& b, const ckpt::Checkpoint& cb) {
  ckpt::MemorySource a(ckpt::fuzz::reference_model(), "<a>");
  auto ca = ckpt::open_checkpoint(a);
  if (!ca) __builtin_trap();  // the reference model is valid
  ckpt::DiffOptions opt;
  opt.threads = 1;
  opt.max_report = 3;
  if (auto r = ckpt::diff_checkpoints(*ca, cb, opt)) {
    r->path_a = "<a>", r->path_b = b.name();
    (void)ckpt::cli::diff_text(*r);
    must_print(ckpt::cli::diff_json(*r));
  }
  if (auto bytes = ckpt::diff_bytes(*ca, cb, 3)) {
    ckpt::DiffReport r;
    r.format_a = ca->format, r.format_b = cb.format;
    r.config_a = ca->config, r.config_b = cb.config;
    r.bytes = std::move(*bytes);
    (void)ckpt::cli::diff_text(r);
    must_print(ckpt::cli::diff_json(r));
  }
}

void hash(const ckpt::ByteSource& src, const ckpt::Checkpoint& cp, size_t size) {
  const auto mode = size % 2 ? ckpt::HashMode::values : ckpt::HashMode::stored;
  std::optional<uint64_t> vocab;
  if (size % 3 == 0) vocab = size % 7;
  (void)ckpt::hash_checkpoint(cp, ckpt::HashAlgo::xxh64, mode, 1, vocab);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ckpt::MemorySource src(std::vector<uint8_t>(data, data + size), "<fuzz \xff>");
  auto cp = ckpt::open_checkpoint(src);
  // Rendering does not change with the number of tensors, but its cost does: tables of
  // thousands of tensors (their headers are covered by the other targets) would make
  // this target ten times slower.
  if (!cp || cp->tensors.size() > 256) return 0;
  render_validate(src);
  render_diff(src, *cp);
  hash(src, *cp, size);
  render_inspect(src, std::move(*cp), size);
  return 0;
}
