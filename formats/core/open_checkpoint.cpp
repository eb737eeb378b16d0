// The entry point that turns bytes into a Checkpoint: every family proposes what the
// bytes could be, the most certain candidate is opened. Forced formats skip detection.
#include <algorithm>
#include <string>

#include "family.hpp"

namespace ckpt {

namespace {

// Sets what every checkpoint has whatever its family.
Result<Checkpoint> finish(Result<Checkpoint> r, std::shared_ptr<const ByteSource> src, const OpenOptions& opt) {
  if (!r) return r;
  r->path = src->name();
  r->file_size = src->size();
  r->limits = opt.limits;
  if (!r->sources.empty() && r->sources[0] == nullptr)
    r->sources[0] = std::move(src);
  else
    r->sources.insert(r->sources.begin(), std::move(src));
  r->file_count = 1;
  return r;
}

// "no known format fits: A, B, and C", from the families' reasons for declining.
std::string no_format_message(const std::vector<core::DetectCandidate>& hints) {
  std::string m = "no known format fits";
  for (size_t i = 0; i < hints.size(); ++i)
    m += (i == 0 ? ": " : i + 1 == hints.size() ? ", and " : ", ") + hints[i].evidence;
  return m;
}

}  // namespace

Result<Checkpoint> open_checkpoint(std::shared_ptr<const ByteSource> src, const OpenOptions& opt) {
  const ByteSource& bytes = *src;
  if (opt.forced_format) {
    const Format f = *opt.forced_format;
    const core::FormatFamily* fam = core::family_of(f);
    if (!fam) return Error{ErrorCode::detect_forced, "cannot force the unknown format", {}};
    core::DetectCandidate how{f, 0, "forced with --format " + std::string(f.name())};
    how.forced = true;
    return finish(fam->open(bytes, how, opt), std::move(src), opt);
  }
  if (bytes.size() == 0) return Error{ErrorCode::detect_empty, "the file is empty", uint64_t(0)};

  std::vector<core::DetectCandidate> candidates;
  auto best_of = [&]() -> const core::DetectCandidate* {
    const core::DetectCandidate* best = nullptr;
    for (const auto& c : candidates)
      if (c.score > 0 && (!best || c.score > best->score)) best = &c;  // ties: the earlier one
    return best;
  };
  for (const core::FormatFamily* fam : core::families()) fam->detect(bytes, opt.limits, false, candidates);
  if (const auto* quick = best_of(); !quick || quick->score < core::kScoreWholeParse)
    for (const core::FormatFamily* fam : core::families()) fam->detect(bytes, opt.limits, true, candidates);
  const core::DetectCandidate* best = best_of();
  // Candidates with a score of 0 are not candidates: they explain why a family declined
  // (e.g. "only 3 of the 7 v0 header ints are plausible") for the error message.
  std::vector<core::DetectCandidate> hints;
  for (const auto& c : candidates)
    if (c.score <= 0) hints.push_back(c);
  if (!best) return Error{ErrorCode::detect_unknown, no_format_message(hints), uint64_t(0)};
  return finish(core::family_of(best->format)->open(bytes, *best, opt), std::move(src), opt);
}

Result<Checkpoint> open_checkpoint(const ByteSource& src, const OpenOptions& opt) {
  // Borrowed: the caller keeps the source alive for as long as the checkpoint.
  return open_checkpoint(std::shared_ptr<const ByteSource>(&src, [](const ByteSource*) {}), opt);
}

namespace {

Result<Checkpoint> open_folder(const std::string& path, const OpenOptions& opt) {
  auto dir = Folder::open(path, opt.limits.max_folder_entries);
  if (!dir) return dir.error();
  std::vector<core::DetectCandidate> candidates;
  if (opt.forced_format) {
    const core::FormatFamily* fam = core::family_of(*opt.forced_format);
    if (!fam) return Error{ErrorCode::detect_forced, "cannot force the unknown format", {}};
    core::DetectCandidate how{*opt.forced_format, 0, "forced with --format " + std::string(opt.forced_format->name())};
    how.forced = true;
    candidates.push_back(how);
  } else {
    for (const core::FormatFamily* fam : core::families()) fam->detect_folder(*dir, opt.limits, candidates);
  }
  const core::DetectCandidate* best = nullptr;
  std::vector<core::DetectCandidate> hints;
  for (const auto& c : candidates) {
    if (c.forced || (c.score > 0 && (!best || c.score > best->score))) best = &c;
    if (c.score <= 0 && !c.forced) hints.push_back(c);
  }
  if (!best) {
    std::string m =
        "no known format fits the folder " + path + " (" + std::to_string(dir->entries().size()) + " files)";
    for (const auto& h : hints) m += "; " + h.evidence;
    return Error{ErrorCode::detect_unknown, m, {}};
  }
  auto cp = core::family_of(best->format)->open_folder(*dir, *best, opt);
  if (!cp) return cp;
  cp->path = path;
  cp->folder = true;
  cp->limits = opt.limits;
  return cp;
}

}  // namespace

Result<Checkpoint> open_path(const std::string& path, const OpenOptions& opt) {
  if (is_folder(path)) return open_folder(path, opt);
  auto src = FileSource::open(path);
  if (!src) return src.error();
  return open_checkpoint(std::shared_ptr<const ByteSource>(std::move(*src)), opt);
}

}  // namespace ckpt
