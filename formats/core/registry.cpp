// The registry of families, and the defaults of the FormatFamily interface.
#include <algorithm>
#include <mutex>

#include "family.hpp"

namespace ckpt::core {

namespace {

struct Registry {
  std::vector<std::unique_ptr<FormatFamily>> owned;
  std::vector<const FormatFamily*> families;
  std::vector<Format> formats;
};

const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    register_builtin_families(reg.owned);
    for (const auto& f : reg.owned) {
      reg.families.push_back(f.get());
      for (Format fmt : f->formats()) reg.formats.push_back(fmt);
    }
    return reg;
  }();
  return r;
}

}  // namespace

std::span<const FormatFamily* const> families() { return registry().families; }

const FormatFamily* family_of(Format f) {
  if (!f.known()) return nullptr;
  for (const FormatFamily* fam : registry().families)
    if (fam->name() == f.family()) return fam;
  return nullptr;
}

void FormatFamily::detect_folder(const Folder&, const OpenLimits&, std::vector<DetectCandidate>&) const {}

Result<Checkpoint> FormatFamily::open_folder(const Folder& dir, const DetectCandidate& how, const OpenOptions&) const {
  return Error{ErrorCode::detect_forced, std::string(how.format.name()) + " is not a folder format: " + dir.path(), {}};
}

Result<uint64_t> FormatFamily::stream_encoded(const Checkpoint&, const TensorInfo& t, const F32Sink&, size_t) const {
  return Error{ErrorCode::stream_dtype, t.spec.name + ": no decoder for its encoding", {}};
}

std::vector<CanonicalView> FormatFamily::views(const Checkpoint& cp) const {
  std::vector<CanonicalView> out;
  for (size_t i = 0; i < cp.tensors.size(); ++i) out.push_back(whole_view(cp, i, cp.tensors[i].spec.name, {}));
  return out;
}

Location FormatFamily::locate(const Checkpoint& cp, uint64_t offset) const { return locate_placements(cp, offset); }

Location FormatFamily::locate_file(const Checkpoint& cp, size_t source, uint64_t offset) const {
  if (source == 0) return locate(cp, offset);
  Location loc;
  loc.offset = offset;
  return loc;
}

Result<SourceConfig> FormatFamily::source_config(const Checkpoint& cp, const ConvertOptions&) const {
  if (!cp.config) return Error{ErrorCode::convert_input, cp.path + " has no readable config", {}};
  return SourceConfig{*cp.config, {}};
}

Result<ConvertPlan> FormatFamily::plan(const Checkpoint& from, const SourceConfig&, const ConvertOptions& opt) const {
  return Error{ErrorCode::convert_unsupported,
               "cannot write " + std::string(opt.to.name()) + " from " + std::string(from.format.name()),
               {}};
}

Result<WriteStats> FormatFamily::write(ByteSink&, const ConvertPlan& plan, const WeightSource&) const {
  return Error{ErrorCode::convert_unsupported, "no writer for " + std::string(plan.to.name()), {}};
}

Result<uint64_t> FormatFamily::scan_encoded(const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink,
                                            size_t chunk_elems, std::vector<Finding>&) const {
  return stream_encoded(cp, t, sink, chunk_elems);
}

std::optional<uint64_t> FormatFamily::element_offset(const Checkpoint&, const TensorInfo&, uint64_t) const {
  return std::nullopt;
}

Result<WriteStats> FormatFamily::write_folder(AtomicFolder&, const ConvertPlan& plan, const WeightSource&) const {
  return Error{ErrorCode::convert_unsupported, std::string(plan.to.name()) + " is not written as a folder", {}};
}

CanonicalView whole_view(const Checkpoint& cp, size_t tensor, std::string name, std::vector<uint64_t> shape) {
  const TensorInfo& t = cp.tensors[tensor];
  CanonicalView v;
  v.name = std::move(name);
  v.tensor = tensor;
  if (v.name != t.spec.name) v.source = t.spec.name;
  v.shape = shape.empty() ? t.spec.shape : std::move(shape);
  v.numel = t.spec.numel;
  return v;
}

}  // namespace ckpt::core

namespace ckpt {

bool Format::has_tag(std::string_view tag) const {
  if (!info_) return false;
  return std::find(info_->tags.begin(), info_->tags.end(), tag) != info_->tags.end();
}

std::optional<Format> parse_format_name(std::string_view name) {
  for (Format f : all_formats())
    if (f.name() == name) return f;
  // The name the Hugging Face folder writer had before the folder was read too.
  if (name == "hf-safetensors") return parse_format_name("hf-llama");
  return std::nullopt;
}

const std::vector<Format>& all_formats() { return core::registry().formats; }

std::vector<FamilyRule> family_rules() {
  std::vector<FamilyRule> out;
  for (const core::FormatFamily* f : core::families())
    for (const FamilyRule& r : f->rules()) out.push_back(r);
  return out;
}

}  // namespace ckpt
