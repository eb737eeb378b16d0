// The tt-train family: detection, open, streams, views and --at of msgpack files, and
// conversions to and from them (tt-train files store neither n_heads nor seq_len: the
// user passes them).
#include "family.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "msgpack_internal.hpp"
#include "llama_export.hpp"
#include "ttml.hpp"

namespace ckpt::ttml {

namespace {

bool has_q8_tensors(const Checkpoint& cp) {
  return std::any_of(cp.tensors.begin(), cp.tensors.end(),
                     [](const TensorInfo& t) { return t.spec.dtype == DType::q8_0; });
}

class TtmlFamily final : public core::FormatFamily {
 public:
  std::string_view name() const override { return "ttml"; }
  std::span<const Format> formats() const override { return kFormats; }

  void detect(const ByteSource& src, const OpenLimits&, bool thorough,
              std::vector<core::DetectCandidate>& out) const override {
    if (thorough) return;
    if (looks_like_ttml_msgpack(src))
      out.push_back({msgpack_weights, core::kScoreStructure, "a msgpack map of [variant, payload] values", 0});
    else
      out.push_back({Format::unknown, 0, "not a msgpack map", 0});
  }

  Result<Checkpoint> open(const ByteSource& src, const core::DetectCandidate& how,
                          const OpenOptions& opt) const override {
    Checkpoint cp = open_msgpack(src, opt);
    cp.detection = how.evidence;
    return cp;
  }

  Result<uint64_t> stream_encoded(const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink,
                                  size_t chunk_elems) const override {
    return stream_msgpack(cp, t, sink, chunk_elems);
  }

  std::vector<CanonicalView> views(const Checkpoint& cp) const override { return msgpack_views(cp); }

  Location locate(const Checkpoint& cp, uint64_t offset) const override { return locate_msgpack(cp, offset); }

  Result<core::SourceConfig> source_config(const Checkpoint& cp, const ConvertOptions& opt) const override {
    const bool to_ttml = opt.to.family() == name();
    // tt-train -> tt-train needs no sequence length: nothing it writes stores one.
    const int64_t seq_len = to_ttml ? std::max<int64_t>(1, opt.seq_len.value_or(0)) : opt.seq_len.value_or(0);
    auto c = llama_config(cp, opt.n_heads.value_or(0), opt.vocab_size, seq_len);
    if (!c) return c.error();
    core::SourceConfig source{*c, {}};
    if (to_ttml) {
      const auto views = msgpack_views(cp);
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

  bool writes(Format f) const override { return f == msgpack_weights; }

  Result<ConvertPlan> plan(const Checkpoint& from, const core::SourceConfig& source,
                           const ConvertOptions& opt) const override {
    ConvertPlan plan;
    plan.config = source.config;
    plan.config.group_size = 0;
    plan.prefix = opt.prefix;
    plan.ttml_template = opt.ttml_template;
    plan.meta_style = opt.meta_style;
    if (!opt.ttml_template.empty()) {
      if (plan.prefix != "llama/llama")
        return Error{ErrorCode::convert_input, "--template writes llama_export.py's keys (llama/llama/...): no --prefix",
                     {}};
      plan.notes.push_back(fmt::format(
          "wrote llama_export.py's output: {}'s entries kept in its order, the Llama parameters replaced as float64 "
          "lists, q/k in {} rows",
          opt.ttml_template, opt.meta_style ? "Hugging Face's rotary (--meta-style)" : "Meta's interleaved"));
      return plan;
    }
    if (opt.meta_style) return Error{ErrorCode::convert_input, "--meta-style goes with --template", {}};
    if (from.format.family() == name()) return plan;  // rewritten the C++ writer's way
    const ModelConfig& c = plan.config;
    if (has_q8_tensors(from))
      plan.notes.push_back("Q8_0 cannot restore the original values: wrote the dequantized weights");
    if (padded_vocab(c.vocab_size) != c.vocab_size)
      plan.notes.push_back(fmt::format("padded the vocabulary from {} to {} rows with zeros", c.vocab_size,
                                       padded_vocab(c.vocab_size)));
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
    return write_llama_msgpack(out, plan.config, w, plan.prefix.empty() ? "llama/llama" : plan.prefix);
  }

 private:
  static constexpr Format kFormats[] = {msgpack_weights};
};

}  // namespace

std::unique_ptr<core::FormatFamily> make_family() { return std::make_unique<TtmlFamily>(); }

}  // namespace ckpt::ttml
