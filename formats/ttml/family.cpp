// The tt-train family: msgpack weights (MsgPackFile) and the flatbuffer checkpoints that
// replaced them (a folder of metadata.flatbuffer + .tensorbin files, its metadata file
// alone, one .tensorbin, the folder packed as a tar), and the Python pickle checkpoints
// (checkpointing.py streams, train_nanogpt.py pickles): detection, open, streams, views,
// --at, and conversions to and from them (tt-train files store neither n_heads nor
// seq_len: the user passes them).
#include "family.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "fb_internal.hpp"
#include "fb_rules.hpp"
#include "llama_export.hpp"
#include "msgpack_internal.hpp"
#include "pickle_ckpt.hpp"
#include "ttml.hpp"

namespace ckpt::ttml {

namespace {

bool has_q8_tensors(const Checkpoint& cp) {
  return std::any_of(cp.tensors.begin(), cp.tensors.end(),
                     [](const TensorInfo& t) { return t.spec.dtype == DType::q8_0; });
}

// Whether writing bfloat16 can change a value of the source's canonical tensors.
bool needs_bf16_rounding(const Checkpoint& cp) {
  for (const auto& v : canonical_views(cp)) {
    const DType d = cp.tensors[v.tensor].spec.dtype;
    if (v.canonical && !is_rope_table(v.name) && d != DType::bf16 && d != DType::bfp8_b && d != DType::bfp4_b &&
        d != DType::u8 && d != DType::i8)
      return true;
  }
  return false;
}

bool is_flatbuffer(const Checkpoint& cp) { return fb_info_of(cp) != nullptr; }

class TtmlFamily final : public core::FormatFamily {
 public:
  std::string_view name() const override { return "ttml"; }
  std::span<const Format> formats() const override { return kFormats; }
  std::span<const FamilyRule> rules() const override { return flatbuffer_rules(); }

  void detect(const ByteSource& src, const OpenLimits& limits, bool thorough,
              std::vector<core::DetectCandidate>& out) const override {
    if (thorough) return;
    if (looks_like_ttml_msgpack(src)) {
      out.push_back({msgpack_weights, core::kScoreStructure, "a msgpack map of [variant, payload] values", 0});
      return;
    }
    // A pickle starts with PROTO (0x80, an empty msgpack fixmap): after the msgpack probe.
    if (const Format f = probe_ttml_pickle(src); f != Format::unknown) {
      out.push_back({f, core::kScoreStructure,
                     f == pickle_stream ? "a pickle stream whose record 0 is a dict starting with \"format\" "
                                          "(tt-train's ttml/checkpointing.py)"
                                        : "a pickled dict holding \"model_state\" (tt-train's train_nanogpt.py)"});
      return;
    }
    std::string why_tar;
    bool broken = false;
    if (auto tar = probe_checkpoint_tar(src, limits, why_tar, broken)) {
      core::DetectCandidate c{ttml_tar, broken ? core::kScoreRepaired : core::kScoreMagic,
                              broken ? "a ustar archive whose member headers break before the end"
                                     : "a ustar archive holding a tt-train metadata flatbuffer"};
      c.found = std::move(tar);
      out.push_back(std::move(c));
      return;
    }
    if (const int t = probe_tensorbin(src, 0, src.size(), limits)) {
      out.push_back({ttnn_tensorbin, t == 2 ? core::kScoreMagic : core::kScoreStructure,
                     t == 2 ? "a ttnn .tensorbin with the TTNB identifier (schema v1)"
                            : "a u64 header size followed by a verified ttnn.flatbuffer.Tensor header"});
      return;
    }
    if (looks_like_metadata_file(src, limits)) {
      out.push_back({ttml_flatbuffer, core::kScoreStructure, "verifies as tt-train's ttml.flatbuffer.TTMLData"});
      return;
    }
    // The msgpack reason alone: the flatbuffer probes decline without a word (a file that
    // is none of them is not a msgpack map first of all).
    out.push_back({Format::unknown, 0, "not a msgpack map", 0});
  }

  Result<Checkpoint> open(const ByteSource& src, const core::DetectCandidate& how,
                          const OpenOptions& opt) const override {
    Checkpoint cp;
    if (how.format == pickle_stream)
      cp = open_pickle_stream(src, opt);
    else if (how.format == nanogpt_pickle)
      cp = open_nanogpt_pickle(src, opt);
    else if (how.format == ttnn_tensorbin)
      cp = open_tensorbin_file(src, opt);
    else if (how.format == ttml_tar)
      cp = open_fb_tar(src, opt, how.found.get());
    else if (how.format == ttml_flatbuffer)
      cp = open_fb_metadata_file(src, opt);
    else
      cp = open_msgpack(src, opt);
    cp.detection = how.evidence;
    return cp;
  }

  void detect_folder(const Folder& dir, const OpenLimits&, std::vector<core::DetectCandidate>& out) const override {
    if (dir.find("metadata.flatbuffer")) {
      out.push_back({ttml_flatbuffer, core::kScoreMagic, "a folder holding metadata.flatbuffer (tt-train checkpoint)"});
      return;
    }
    for (const auto& e : dir.entries())
      if (e.name.ends_with(".flatbuffer")) {
        out.push_back(
            {ttml_flatbuffer, core::kScoreStructure, "a folder holding " + e.name + " (tt-train checkpoint)"});
        return;
      }
    const bool tensorbins = std::any_of(dir.entries().begin(), dir.entries().end(),
                                        [](const Folder::Entry& e) { return e.name.ends_with(".tensorbin"); });
    if (tensorbins) out.push_back({Format::unknown, 0, ".tensorbin files but no metadata.flatbuffer naming them"});
  }

  Result<Checkpoint> open_folder(const Folder& dir, const core::DetectCandidate& how,
                                 const OpenOptions& opt) const override {
    if (how.format != ttml_flatbuffer) return FormatFamily::open_folder(dir, how, opt);
    auto cp = open_fb_folder(dir, opt);
    if (cp && !how.forced)
      cp->detection = how.evidence;
    else if (cp)
      cp->detection = how.evidence;
    return cp;
  }

  Result<uint64_t> stream_encoded(const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink,
                                  size_t chunk_elems) const override {
    if (is_flatbuffer(cp)) return stream_fb(cp, t, sink, chunk_elems, nullptr);
    return stream_msgpack(cp, t, sink, chunk_elems);
  }

  Result<uint64_t> scan_encoded(const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink, size_t chunk_elems,
                                std::vector<Finding>& findings) const override {
    if (is_flatbuffer(cp)) return stream_fb(cp, t, sink, chunk_elems, &findings);
    return stream_msgpack(cp, t, sink, chunk_elems);
  }

  std::optional<uint64_t> element_offset(const Checkpoint& cp, const TensorInfo& t, uint64_t element) const override {
    if (is_flatbuffer(cp)) return fb_element_offset(cp, t, element);
    return std::nullopt;
  }

  std::vector<CanonicalView> views(const Checkpoint& cp) const override { return ttml_views(cp); }

  Location locate(const Checkpoint& cp, uint64_t offset) const override {
    if (pickle_info_of(cp)) return locate_pickle(cp, offset);
    return is_flatbuffer(cp) ? locate_fb(cp, offset) : locate_msgpack(cp, offset);
  }

  Result<core::SourceConfig> source_config(const Checkpoint& cp, const ConvertOptions& opt) const override {
    const bool to_ttml = opt.to.family() == name();
    // tt-train -> tt-train needs no sequence length: nothing it writes stores one.
    const int64_t seq_len = to_ttml ? std::max<int64_t>(1, opt.seq_len.value_or(0)) : opt.seq_len.value_or(0);
    auto c = llama_config(cp, opt.n_heads.value_or(0), opt.vocab_size, seq_len);
    if (!c) return c.error();
    core::SourceConfig source{*c, {}};
    if (to_ttml) {
      const auto views = ttml_views(cp);
      const bool others = std::any_of(views.begin(), views.end(), [](const CanonicalView& v) { return !v.canonical; });
      if (!cp.metadata.empty() || others)
        source.notes.push_back(
            "only the model's parameters were written (metadata, gradients and optimizer state were not)");
    } else if (!opt.vocab_size) {
      source.notes.push_back(fmt::format(
          "vocab_size {} is the padded embedding size; pass --vocab-size to drop padding rows", c->vocab_size));
    }
    return source;
  }

  bool writes(Format f) const override { return f == msgpack_weights || f == ttml_flatbuffer || f == ttml_tar; }

  Result<ConvertPlan> plan(const Checkpoint& from, const core::SourceConfig& source,
                           const ConvertOptions& opt) const override {
    ConvertPlan plan;
    plan.config = source.config;
    plan.config.group_size = 0;
    plan.prefix = opt.prefix;
    plan.ttml_template = opt.ttml_template;
    plan.meta_style = opt.meta_style;
    if (!opt.ttml_template.empty()) {
      if (opt.to != msgpack_weights)
        return Error{ErrorCode::convert_input, "--template writes llama_export.py's msgpack: --to ttml-msgpack", {}};
      if (plan.prefix != "llama/llama")
        return Error{
            ErrorCode::convert_input, "--template writes llama_export.py's keys (llama/llama/...): no --prefix", {}};
      plan.notes.push_back(fmt::format(
          "wrote llama_export.py's output: {}'s entries kept in its order, the Llama parameters replaced as float64 "
          "lists, q/k in {} rows",
          opt.ttml_template, opt.meta_style ? "Hugging Face's rotary (--meta-style)" : "Meta's interleaved"));
      return plan;
    }
    if (opt.meta_style) return Error{ErrorCode::convert_input, "--meta-style goes with --template", {}};
    const bool bf16_out = opt.to != msgpack_weights;
    if (bf16_out && needs_bf16_rounding(from))
      plan.notes.push_back("wrote bfloat16 TILE tensors (tt-train's default): values rounded to the nearest bfloat16");
    if (from.format.family() == name()) return plan;  // rewritten the C++ writer's way
    const ModelConfig& c = plan.config;
    if (has_q8_tensors(from))
      plan.notes.push_back("Q8_0 cannot restore the original values: wrote the dequantized weights");
    if (padded_vocab(c.vocab_size) != c.vocab_size)
      plan.notes.push_back(
          fmt::format("padded the vocabulary from {} to {} rows with zeros", c.vocab_size, padded_vocab(c.vocab_size)));
    plan.notes.push_back(
        fmt::format("tt-train files do not store n_heads or seq_len: convert back with --n-heads {} "
                    "--seq-len {} --vocab-size {}",
                    c.n_heads, c.seq_len, c.vocab_size));
    return plan;
  }

  Result<WriteStats> write(ByteSink& out, const ConvertPlan& plan, const WeightSource& w) const override {
    if (!plan.ttml_template.empty()) {
      auto tmpl = FileSource::open(plan.ttml_template);
      if (!tmpl) return tmpl.error();
      LlamaExportOptions o;
      o.meta_style = plan.meta_style;
      auto r = write_llama_export(out, **tmpl, plan.config, w, o);
      if (r || r.error().code != ErrorCode::convert_input) return r;
      Error e = r.error();
      e.message = plan.ttml_template + ": " + e.message;
      return e;
    }
    const std::string prefix = plan.prefix.empty() ? "llama/llama" : plan.prefix;
    if (plan.to == ttml_tar) return write_fb_tar(out, plan.config, w, prefix);
    return write_llama_msgpack(out, plan.config, w, prefix);
  }

  // The checkpoint folder: each file committed as soon as it is written (a model with its
  // optimizer state has thousands), the folder renamed into place by the caller.
  Result<WriteStats> write_folder(AtomicFolder& out, const ConvertPlan& plan, const WeightSource& w) const override {
    auto write_file = [&](const std::string& file, const std::function<Result<bool>(ByteSink&)>& fill) -> Result<bool> {
      auto f = out.file(file);
      if (!f) return f.error();
      auto r = fill(**f);
      if (!r) return r;
      return (*f)->commit();
    };
    return write_fb_folder(write_file, plan.config, w, plan.prefix.empty() ? "llama/llama" : plan.prefix);
  }

 private:
  static constexpr Format kFormats[] = {msgpack_weights, ttml_flatbuffer, ttml_tar,
                                        ttnn_tensorbin,  pickle_stream,   nanogpt_pickle};
};

}  // namespace

std::unique_ptr<core::FormatFamily> make_family() { return std::make_unique<TtmlFamily>(); }

}  // namespace ckpt::ttml
