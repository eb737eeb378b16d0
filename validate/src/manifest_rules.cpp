// --manifest: the file's tensor hashes against a manifest written by `ckpt hash`, keyed by
// tensor name (never by file name), in the manifest's own algorithm and mode.
#include "ckpt/hash.hpp"
#include "ckpt/manifest.hpp"
#include "rules.hpp"

namespace ckpt::validation {

void check_manifest(const RuleContext& c, Collector& out) {
  if (!c.opt.manifest || c.cp.format == Format::unknown) return;
  const Manifest& m = *c.opt.manifest;
  auto rep = hash_checkpoint(c.cp, m.algo, m.mode, c.opt.threads);
  if (!rep) {
    out.tensor("io.read", "cannot hash the file for --manifest: " + rep.error().message, rep.error().offset);
    return;
  }
  const std::string algo(hash_algo_name(m.algo));
  const auto checks = check_manifest(*rep, m);
  // The model line changes whenever a tensor does: report it only when no tensor explains
  // it (a header or padding byte changed), so one changed tensor is exactly one mismatch.
  bool tensor_differs = false;
  for (const auto& chk : checks) tensor_differs |= chk.name != "*" && chk.status != ManifestStatus::ok;
  for (const auto& chk : checks) {
    if (chk.name == "*" && chk.status == ManifestStatus::mismatch && tensor_differs) continue;
    const bool model = chk.name == "*";
    // In values mode, v0's RoPE tables are derived data that other layouts do not store:
    // their absence on either side is not a difference between the weights.
    const bool rope = is_rope_table(chk.name);
    if (rope && m.mode == HashMode::values &&
        (chk.status == ManifestStatus::missing || chk.status == ManifestStatus::unexpected))
      continue;
    const std::string what = model ? "model" : "tensor";
    // The tensor's first byte, so each finding points into the file.
    const TensorInfo* t = model ? nullptr : c.cp.find(chk.name);
    const auto off = t ? std::optional<uint64_t>(t->place.offset) : std::nullopt;
    const std::string name = model ? std::string() : chk.name;
    switch (chk.status) {
      case ManifestStatus::ok:
        out.tensor("manifest.ok", what + " " + algo + " " + chk.actual + " as in the manifest", off, name);
        break;
      case ManifestStatus::mismatch:
        out.tensor("manifest.mismatch",
                   what + " " + algo + " " + (chk.actual.empty() ? "(not hashed: incomplete)" : chk.actual) +
                       ", the manifest says " + chk.expected,
                   off, name);
        break;
      case ManifestStatus::missing:
        out.tensor("manifest.missing", "in the manifest but not in the file", std::nullopt, chk.name);
        break;
      case ManifestStatus::unexpected:
        out.tensor("manifest.unexpected", "in the file but not in the manifest", off, chk.name);
        break;
    }
  }
}

}  // namespace ckpt::validation
