// The llama2.c family: opening a detected or forced format (header, Q8_0 order, tensor
// table), and planning and writing conversions to its layouts.
#include "family.hpp"

#include <algorithm>
#include <cstdio>

#include "ckpt/checked.hpp"
#include "detect.hpp"
#include "formats.hpp"
#include "layout.hpp"
#include "reader.hpp"
#include "writer.hpp"

namespace ckpt::llama2c {

namespace {

// v0 stores RoPE tables of seq_len rows: derived data that no exporter makes larger than
// the weights (Llama-2-7B: 2 MB of tables for 27 GB). A corrupt seq_len (2^30 in a 400 KB
// file) would otherwise have convert write tens of GB, so tables larger than both the
// weights and 64 MiB are refused.
constexpr uint64_t kRopeFloorBytes = 64ull << 20;

std::optional<Error> check_rope_size(const ModelConfig& c, int64_t max_layers) {
  auto specs = tensor_specs(v0, c, max_layers);
  if (!specs) return specs.error();
  CheckedU64 rope, weights;
  for (const auto& s : *specs) (is_rope_table(s.name) ? rope : weights) += CheckedU64(s.numel) * CheckedU64(4);
  if (rope.ok() && weights.ok() && rope.value() <= std::max(weights.value(), kRopeFloorBytes)) return std::nullopt;
  return Error{ErrorCode::convert_rope_size,
               "seq_len " + std::to_string(c.seq_len) + " would make v0's RoPE tables " +
                   (rope.ok() ? std::to_string(rope.value()) + " bytes" : std::string("overflow 64 bits")) +
                   ", more than the weights (" + std::to_string(weights.value()) +
                   " bytes) and 64 MiB: the seq_len is likely corrupt",
               {}};
}

// The finding that says how the v2 order was decided (or forced against the bytes).
void report_v2_order(const ByteSource& src, Format f, const core::DetectCandidate& how, Checkpoint& cp,
                     Llama2cData& data) {
  const bool forced = how.forced;
  // Detection decided it already, unless the format was forced.
  const auto* found = dynamic_cast<const V2OrderFound*>(how.found.get());
  std::optional<ModelConfig> config;
  if (!found || !found->decision) {
    config = peek_config(src, f);
    if (!config) return;
  }
  const Q8OrderDecision d = config ? decide_v2_order(src, *config, cp.limits) : *found->decision;
  data.q8_order = d;
  auto finding = [&](Severity s, std::string m) {
    cp.findings.push_back({"layout.q8_order", s, std::move(m), uint64_t(256), ""});
  };
  if (forced) {
    const bool forced_fits = f == ak42_v2_q8_0 ? d.interleaved_fits : d.scales_last_fits;
    if (!d.interleaved_fits && !d.scales_last_fits)
      finding(Severity::error, "neither v2 order fits: " + d.decided_by);
    else if (!forced_fits)
      finding(Severity::warning,
              "forced " + std::string(f.name()) + " but the bytes fit the other order: " + d.decided_by);
    else
      finding(Severity::info, "Q8_0 order: " + d.decided_by);
    return;
  }
  if (d.interleaved_fits != d.scales_last_fits) {
    finding(Severity::info, "Q8_0 order decided: " + d.decided_by);
  } else if (d.interleaved_fits) {
    finding(Severity::warning, "cannot tell interleaved from scales-last: " + d.decided_by);
  } else {
    // Still an error (neither order is clean); the tolerant test may have picked the
    // order, so that the data findings point at the bytes that broke the strict test.
    std::string m = "cannot tell interleaved from scales-last: " + d.decided_by;
    const auto order = config ? tolerant_v2_order(src, *config, cp.limits) : found->rescue;
    if (order) m += "; " + order->message;
    finding(Severity::error, m);
  }
}

Checkpoint open_layout(const ByteSource& src, Format f, const core::DetectCandidate& how, const OpenOptions& opt) {
  Checkpoint cp;
  cp.format = f;
  cp.detection = how.evidence;
  cp.file_size = src.size();
  cp.limits = opt.limits;
  auto data = std::make_shared<Llama2cData>();
  if (how.variant == kBadMagic) {
    uint8_t m[4] = {};
    src.read_available(0, m, 4);
    char hex[16];
    std::snprintf(hex, sizeof hex, "%02x %02x %02x %02x", m[0], m[1], m[2], m[3]);
    cp.findings.push_back({"header.magic", Severity::error,
                           std::string("bytes 0..3 are ") + hex +
                               ", not the ak42 magic 32 34 6b 61, but the rest of the header describes a " +
                               std::string(f.name()) + " file of exactly this size",
                           uint64_t(0), "magic"});
  }
  if (is_v2(f)) report_v2_order(src, f, how, cp, *data);
  read_header(src, f, cp);
  build_tensor_table(f, opt.limits, cp);
  cp.family_data = std::move(data);
  return cp;
}

Checkpoint open_tokenizer(const ByteSource& src, const core::DetectCandidate& how, const OpenOptions& opt) {
  Checkpoint cp;
  cp.format = tokenizer;
  cp.detection = how.evidence;
  cp.tokenizer = parse_tokenizer(src, opt.limits, cp.findings, false);
  if (!cp.tokenizer) {
    cp.findings.push_back({"tokenizer.header", Severity::error,
                           "not readable as a tokenizer (empty, or larger than 64 MiB)", uint64_t(0), ""});
  } else {
    cp.header.push_back({"max_token_length", 0, 4, cp.tokenizer->max_token_length});
  }
  return cp;
}

class Llama2cFamily final : public core::FormatFamily {
 public:
  std::string_view name() const override { return "llama2c"; }
  std::span<const Format> formats() const override { return kFormats; }

  void detect(const ByteSource& src, const OpenLimits& limits, bool thorough,
              std::vector<core::DetectCandidate>& out) const override {
    llama2c::detect(src, limits, thorough, out);
  }

  Result<Checkpoint> open(const ByteSource& src, const core::DetectCandidate& how,
                          const OpenOptions& opt) const override {
    if (how.variant == kTruncatedMagic) return Error{ErrorCode::detect_truncated, how.evidence, src.size()};
    if (how.format == tokenizer) return open_tokenizer(src, how, opt);
    if (how.variant == kUnknownVersion) {
      Checkpoint cp;
      cp.detection = how.evidence;
      read_header(src, ak42_v1_fp32, cp);  // the common fields, to show them
      cp.config.reset();
      const HeaderValue* version = nullptr;
      for (const auto& h : cp.header)
        if (h.name == "version") version = &h;
      cp.findings.push_back({"header.version", Severity::error,
                             "ak42 version " + std::to_string(version ? version->value : 0) +
                                 " is unknown (1 and 2 are llama2.c's; forks use 3 and up for other layouts)",
                             uint64_t(4), "version"});
      return cp;
    }
    return open_layout(src, how.format, how, opt);
  }

  bool writes(Format f) const override { return is_checkpoint(f); }

  Result<ConvertPlan> plan(const Checkpoint& from, const core::SourceConfig& source,
                           const ConvertOptions& opt) const override {
    ConvertPlan plan;
    plan.config = source.config;
    ModelConfig& c = plan.config;
    const bool in_q8 = has_q8_tensors(from), out_q8 = is_q8(opt.to);
    const int64_t in_gs = from.config ? from.config->group_size : 0;
    if (out_q8) {
      if (opt.group_size)
        c.group_size = *opt.group_size;
      else if (!in_q8)
        c.group_size = exporter_group_size(c.dim);
      if (c.group_size <= 0 || c.group_size > from.limits.max_group_size)
        return Error{ErrorCode::convert_group_size,
                     "the group size must be between 1 and " + std::to_string(from.limits.max_group_size),
                     {}};
      if (in_q8 && c.group_size != in_gs) {
        if (!opt.allow_lossy)
          return Error{ErrorCode::convert_lossy,
                       "requantizing Q8_0 from group size " + std::to_string(in_gs) + " to " +
                           std::to_string(c.group_size) +
                           " compounds the quantization error; pass --allow-lossy to do it anyway",
                       {}};
        plan.notes.push_back("requantized from group size " + std::to_string(in_gs));
      }
      if (!in_q8) plan.notes.push_back("quantized to Q8_0 with group size " + std::to_string(c.group_size));
    } else {
      c.group_size = 0;
      if (in_q8) plan.notes.push_back("Q8_0 cannot restore the original values: wrote the dequantized weights");
    }
    if (opt.to == ak42_v1_q8_0 && !c.shared_classifier) {
      if (!opt.allow_lossy)
        return Error{ErrorCode::convert_lossy,
                     "ak42-v1-q8_0 cannot store an untied classifier (output.weight would be lost); pass "
                     "--allow-lossy to drop it",
                     {}};
      plan.notes.push_back("dropped output.weight: ak42-v1-q8_0 cannot store an untied classifier");
      c.shared_classifier = true;
    }
    if (opt.to == v0) {
      if (c.seq_len <= 0)
        return Error{ErrorCode::convert_input, "seq_len must be positive to write v0's RoPE tables", {}};
      if (auto e = check_rope_size(c, from.limits.max_layers)) return *e;
    }
    return plan;
  }

  Result<WriteStats> write(ByteSink& out, const ConvertPlan& plan, const WeightSource& w) const override {
    return write_llama2c(out, plan.to, plan.config, w);
  }

 private:
  static constexpr Format kFormats[] = {v0,       ak42_v1_fp32, ak42_v1_q8_0, ak42_v2_q8_0, ak42_v2_q8_0_scales_last,
                                        tokenizer};

  static bool has_q8_tensors(const Checkpoint& cp) {
    for (const auto& t : cp.tensors)
      if (t.spec.dtype == DType::q8_0) return true;
    return false;
  }
};

}  // namespace

std::unique_ptr<core::FormatFamily> make_family() { return std::make_unique<Llama2cFamily>(); }

}  // namespace ckpt::llama2c
