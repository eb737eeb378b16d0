// The safetensors family: reading safetensors files and Hugging Face folders, and
// writing Hugging Face folders that transformers and llama.cpp's converter load.
#include "family.hpp"

#include <fmt/format.h>

#include "formats.hpp"
#include "hf_data.hpp"
#include "hf_folder.hpp"
#include "safetensors_codes.hpp"
#include "safetensors_file.hpp"
#include "safetensors_locate.hpp"
#include "torch/torch_locate.hpp"
#include "writer.hpp"

namespace ckpt::safetensors {

namespace {

std::vector<FamilyRule> make_rules() {
  std::vector<FamilyRule> out;
  for (const RuleDef* r : kRuleCatalogue)
    out.push_back({r->id, r->severity, "safetensors", false, r->meaning,
                   "safetensors' own loader refuses the file, or other tools read other bytes"});
  for (const FamilyRule& r : std::initializer_list<FamilyRule>{
           {errc::too_small, Severity::error, "safetensors", false, "fewer than 8 bytes: no header length",
            "no tool can read the file"},
           {errc::header_too_large, Severity::error, "safetensors", false,
            "a header length above 100,000,000 (the reference's MAX_HEADER_SIZE)", "the reference refuses the file"},
           {errc::header_length, Severity::error, "safetensors", false, "a header length past the end of the file",
            "no tool can read the file"},
           {errc::header_utf8, Severity::error, "safetensors", false, "the header is not valid UTF-8",
            "the reference refuses the file"},
           {errc::header_json, Severity::error, "safetensors", false, "the header is no JSON object",
            "no tool can read the file"},
           {"safetensors.unreadable", Severity::error, "hf", false,
            "a safetensors file of the folder cannot be read for another reason (an I/O error)",
            "nothing of an unreadable shard is checked"},
           {"hf.config", Severity::error, "hf", false,
            "config.json is an object with the Llama fields, and agrees with every tensor's shape",
            "transformers refuses the weights or builds another model"},
           {"hf.index", Severity::error, "hf", false,
            "the index json lists every tensor in the file that holds it, and only those",
            "transformers loads a tensor from the wrong shard or not at all"},
           {"hf.missing", Severity::error, "hf", false, "every Llama parameter config.json implies is stored",
            "transformers initialises the missing ones at random"},
       })
    out.push_back(r);
  return out;
}

const std::vector<FamilyRule>& rules_table() {
  static const std::vector<FamilyRule> r = make_rules();
  return r;
}

class SafetensorsFamily final : public core::FormatFamily {
 public:
  std::string_view name() const override { return "safetensors"; }
  std::span<const Format> formats() const override { return kFormats; }
  std::span<const FamilyRule> rules() const override { return rules_table(); }

  void detect(const ByteSource& src, const OpenLimits&, bool thorough,
              std::vector<core::DetectCandidate>& out) const override {
    if (!thorough && looks_like_safetensors(src))
      out.emplace_back(safetensors_file, core::kScoreMagic,
                       "an 8-byte header length that fits the file, then a JSON object (safetensors)");
  }

  Result<Checkpoint> open(const ByteSource& src, const core::DetectCandidate& how,
                          const OpenOptions& opt) const override {
    Checkpoint cp;
    cp.format = how.format;
    cp.detection = how.evidence;
    cp.file_size = src.size();
    cp.limits = opt.limits;
    // Borrowed as [0]; open_checkpoint puts the owning pointer there (null-slot convention).
    cp.sources.push_back(std::shared_ptr<const ByteSource>(&src, [](const ByteSource*) {}));
    auto f = add_safetensors_file(cp, 0, "", opt);
    auto data = std::make_shared<HfData>();
    if (!f) {
      cp.findings.push_back({f.error().cause.empty() ? "safetensors.unreadable" : f.error().cause, Severity::error,
                             f.error().message, f.error().offset, ""});
    } else {
      cp.metadata.reserve(f->header.metadata.size());
      for (const auto& [k, v] : f->header.metadata) cp.metadata.push_back({k, -1, "string", v});
      cp.header_size = f->header.data_begin;
      data->safetensors.push_back(std::move(*f));
    }
    cp.family_data = std::move(data);
    cp.sources[0] = nullptr;
    return cp;
  }

  void detect_folder(const Folder& dir, const OpenLimits&, std::vector<core::DetectCandidate>& out) const override {
    const HfFiles files = hf_files(dir);
    if (files.weights.empty()) return;
    out.emplace_back(
        hf_folder, core::kScoreMagic,
        fmt::format("config.json and {} {} file{}{}", files.weights.size(),
                    files.torch ? "pytorch_model*.bin" : "safetensors", files.weights.size() == 1 ? "" : "s",
                    files.index.empty() ? "" : " with " + files.index));
  }

  Result<Checkpoint> open_folder(const Folder& dir, const core::DetectCandidate& how,
                                 const OpenOptions& opt) const override {
    auto cp = open_hf_folder(dir, opt);
    if (cp) cp->detection = how.evidence;
    return cp;
  }

  Result<uint64_t> stream_encoded(const Checkpoint& cp, const TensorInfo& t, const ckpt::F32Sink& sink,
                                  size_t chunk_elems) const override {
    if (const HfData* d = hf_data(cp))
      if (auto r = torch::stream_strided(cp, d->torch_files, size_t(&t - cp.tensors.data()), sink, chunk_elems))
        return *r;
    return core::FormatFamily::stream_encoded(cp, t, sink, chunk_elems);
  }

  std::vector<Finding> scan_integrity(const Checkpoint& cp) const override {
    std::vector<Finding> out;
    if (const HfData* d = hf_data(cp)) torch::verify_files(cp, d->torch_files, out);
    return out;
  }

  std::vector<CanonicalView> views(const Checkpoint& cp) const override {
    const HfData* d = hf_data(cp);
    return hf_views(cp, cp.format == hf_folder && d ? d->head_size : 0);
  }

  // A lone file is source 0; a folder's weight files are sources 0..n-1 (locate_file).
  Location locate(const Checkpoint& cp, uint64_t offset) const override { return locate_file(cp, 0, offset); }

  Location locate_file(const Checkpoint& cp, size_t source, uint64_t offset) const override {
    if (const HfData* d = hf_data(cp)) {
      for (const SafetensorsFile& f : d->safetensors)
        if (f.source == source) return locate_safetensors_file(cp, f, offset);
      for (const torch::TorchFile& f : d->torch_files)
        if (f.source == source) return torch::locate_torch_file(cp, f, offset);
    }
    if (source == 0) return locate_placements(cp, offset);
    Location loc;
    loc.offset = offset;
    return loc;
  }

  Result<core::SourceConfig> source_config(const Checkpoint& cp, const ConvertOptions& opt) const override {
    if (!cp.config)
      return Error{ErrorCode::convert_input,
                   cp.path + " stores no model config: convert a Hugging Face folder (config.json with the weights)",
                   {}};
    core::SourceConfig s{*cp.config, {}};
    // export.py --hf: torch.equal(tok_embeddings, output) decides whether the file is shared.
    if (!s.config.shared_classifier && core::classifier_equals_embedding(cp).value_or(false)) {
      s.config.shared_classifier = true;
      s.notes.push_back("lm_head.weight equals embed_tokens.weight: written as shared, as export.py does");
    }
    if (opt.n_heads) s.config.n_heads = *opt.n_heads;
    if (opt.vocab_size) s.config.vocab_size = *opt.vocab_size;
    if (opt.seq_len) s.config.seq_len = *opt.seq_len;
    return s;
  }

  bool writes(Format f) const override { return f == hf_folder; }

  Result<ConvertPlan> plan(const Checkpoint&, const core::SourceConfig& source,
                           const ConvertOptions& opt) const override {
    ConvertPlan plan;
    plan.config = source.config;
    plan.config.group_size = 0;
    plan.dtype = opt.dtype;
    plan.max_shard_bytes = opt.max_shard_bytes;
    const ModelConfig& c = plan.config;
    if (opt.dtype != DType::f32 && opt.dtype != DType::bf16 && opt.dtype != DType::f16)
      return Error{ErrorCode::convert_unsupported, "hf-llama stores f32, bf16 or f16", {}};
    if (c.n_heads <= 0 || c.dim % c.n_heads != 0 || c.head_size() % 2 != 0)
      return Error{ErrorCode::convert_input,
                   fmt::format("dim {} and n_heads {}: the rotary layout needs an even head size", c.dim, c.n_heads),
                   {}};
    if (c.seq_len <= 0)
      return Error{ErrorCode::convert_input, "config.json needs max_position_embeddings: pass --seq-len", {}};
    if (opt.max_shard_bytes == 0) return Error{ErrorCode::convert_input, "--max-shard-size must be positive", {}};
    if (opt.dtype != DType::f32)
      plan.notes.push_back(fmt::format("stored as {} (rounded to nearest even)", dtype_name(opt.dtype)));
    return plan;
  }

  Result<WriteStats> write_folder(AtomicFolder& out, const ConvertPlan& plan, const WeightSource& w) const override {
    HfFolderOptions opt;
    opt.dtype = plan.dtype;
    opt.max_shard_bytes = plan.max_shard_bytes;
    const HfFolderPlan files = plan_hf_folder(plan.config, opt);
    WriteStats stats;
    auto text = [&](const std::string& name, const std::string& body) -> Result<bool> {
      auto f = out.file(name);
      if (!f) return f.error();
      stats.bytes += body.size();
      return (*f)->write_at(0, body.data(), body.size());
    };
    if (auto r = text("config.json", files.config_json); !r) return r.error();
    for (const auto& [name, file] : files.files) {
      auto f = out.file(name);
      if (!f) return f.error();
      WriteBehind behind(**f);
      auto n = write_file(behind, file, w);
      auto flushed = behind.finish();
      if (!n) return n.error();
      if (!flushed) return flushed.error();
      stats.bytes += *n;
    }
    if (!files.index_json.empty())
      if (auto r = text("model.safetensors.index.json", files.index_json); !r) return r.error();
    return stats;
  }

 private:
  static constexpr Format kFormats[] = {safetensors_file, hf_folder};
};

}  // namespace

std::unique_ptr<core::FormatFamily> make_family() { return std::make_unique<SafetensorsFamily>(); }

}  // namespace ckpt::safetensors
