// The safetensors family: reading safetensors files and Hugging Face folders, and
// writing Hugging Face folders that transformers and llama.cpp's converter load.
#include "family.hpp"

#include <fmt/format.h>

#include "formats.hpp"
#include "writer.hpp"

namespace ckpt::safetensors {

namespace {

class SafetensorsFamily final : public core::FormatFamily {
 public:
  std::string_view name() const override { return "safetensors"; }
  std::span<const Format> formats() const override { return kFormats; }

  void detect(const ByteSource&, const OpenLimits&, bool, std::vector<core::DetectCandidate>&) const override {}

  Result<Checkpoint> open(const ByteSource& src, const core::DetectCandidate& how, const OpenOptions&) const override {
    return Error{ErrorCode::detect_forced, std::string(how.format.name()) + ": not readable yet: " + src.name(), {}};
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
      return Error{ErrorCode::convert_unsupported, "hf-safetensors stores f32, bf16 or f16", {}};
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
