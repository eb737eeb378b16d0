// Conversion, format-independent: the source family's config, the target family's plan
// and writer, the source's weights through its canonical views.
#include "ckpt/convert.hpp"

#include "family.hpp"

namespace ckpt {

std::optional<Error> check_convertible(const Checkpoint& cp) {
  if (!cp.config && cp.tensors.empty()) return Error{ErrorCode::convert_input, cp.path + " has no readable config", {}};
  for (const auto& v : canonical_views(cp)) {
    const TensorInfo& t = cp.tensors[v.tensor];
    if (!v.canonical || is_rope_table(v.name) || t.status == TensorStatus::complete) continue;
    return Error{ErrorCode::convert_input,
                 t.spec.name + " is " + std::string(tensor_status_name(t.status)) + " in " + cp.path, t.place.offset};
  }
  if (cp.tensors.empty()) return Error{ErrorCode::convert_input, cp.path + " has no tensor table", {}};
  // A model folder whose shards disagree, or whose config contradicts its tensors, is not
  // one model: refuse rather than write a guess.
  for (const Finding& f : cp.findings)
    if (f.severity == Severity::error && (f.rule.starts_with("meta.") || f.rule.starts_with("hf.")))
      return Error{ErrorCode::convert_input, cp.path + ": " + f.message + " (" + f.rule + ")", f.offset};
  return std::nullopt;
}

Result<ConvertPlan> plan_conversion(const Checkpoint& cp, const ConvertOptions& opt) {
  const core::FormatFamily* target = core::family_of(opt.to);
  if (!target || !target->writes(opt.to))
    return Error{ErrorCode::convert_unsupported,
                 "cannot write " + std::string(opt.to.name()) + " from " + std::string(cp.format.name()),
                 {}};
  const core::FormatFamily* source = core::family_of(cp.format);
  if (!source)
    return Error{
        ErrorCode::convert_unsupported, "cannot read " + std::string(cp.format.name()) + " for a conversion", {}};
  // The input's own problems first: they explain a missing config.
  if (auto e = check_convertible(cp)) return *e;
  auto config = source->source_config(cp, opt);
  if (!config) return config.error();
  auto plan = target->plan(cp, *config, opt);
  if (!plan) return plan;
  plan->to = opt.to;
  plan->notes.insert(plan->notes.end(), config->notes.begin(), config->notes.end());
  return plan;
}

Result<WriteStats> write_conversion(ByteSink& out, const Checkpoint& cp, const ConvertPlan& plan) {
  const core::FormatFamily* target = core::family_of(plan.to);
  if (!target) return Error{ErrorCode::convert_unsupported, "no writer for " + std::string(plan.to.name()), {}};
  CheckpointWeights weights(cp);
  // Reading and encoding the next bytes overlaps with writing the previous ones.
  WriteBehind behind(out);
  auto stats = target->write(behind, plan, weights);
  auto flushed = behind.finish();
  if (!stats) return stats;
  if (!flushed) return flushed.error();
  return stats;
}

Result<WriteStats> write_conversion(AtomicFolder& out, const Checkpoint& cp, const ConvertPlan& plan) {
  const core::FormatFamily* target = core::family_of(plan.to);
  if (!target) return Error{ErrorCode::convert_unsupported, "no writer for " + std::string(plan.to.name()), {}};
  CheckpointWeights weights(cp);
  return target->write_folder(out, plan, weights);
}

std::vector<Format> writable_formats() {
  std::vector<Format> out;
  for (Format f : all_formats())
    if (const core::FormatFamily* fam = core::family_of(f); fam && fam->writes(f)) out.push_back(f);
  return out;
}

}  // namespace ckpt
