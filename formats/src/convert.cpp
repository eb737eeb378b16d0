#include "ckpt/convert.hpp"

#include "ckpt/tensor_stream.hpp"

#include <algorithm>
#include <optional>

#include "ckpt/checked.hpp"
#include "ckpt/layout.hpp"

namespace ckpt {

namespace {

// v0 stores RoPE tables of seq_len rows: derived data that no exporter makes larger than
// the weights (Llama-2-7B: 2 MB of tables for 27 GB). A corrupt seq_len (2^30 in a 400 KB
// file) would otherwise have convert write tens of GB, so tables larger than both the
// weights and 64 MiB are refused.
constexpr uint64_t kRopeFloorBytes = 64ull << 20;

std::optional<Error> check_rope_size(const ModelConfig& c) {
  auto specs = tensor_specs(Format::llama2c_v0, c);
  if (!specs) return specs.error();
  CheckedU64 rope, weights;
  for (const auto& s : *specs) (is_rope_table(s.name) ? rope : weights) += CheckedU64(s.numel) * CheckedU64(4);
  if (rope.ok() && weights.ok() && rope.value() <= std::max(weights.value(), kRopeFloorBytes)) return std::nullopt;
  return Error{"convert.rope_size",
               "seq_len " + std::to_string(c.seq_len) + " would make v0's RoPE tables " +
                   (rope.ok() ? std::to_string(rope.value()) + " bytes" : std::string("overflow 64 bits")) +
                   ", more than the weights (" + std::to_string(weights.value()) +
                   " bytes) and 64 MiB: the seq_len is likely corrupt",
               {}};
}

}  // namespace

std::optional<Error> check_convertible(const Checkpoint& cp) {
  if (!cp.config) return Error{"convert.input", cp.path + " has no readable config", {}};
  for (const auto& t : cp.tensors)
    if (t.status != TensorStatus::complete && !is_rope_table(t.spec.name))
      return Error{"convert.input", t.spec.name + " is " + std::string(tensor_status_name(t.status)) + " in " + cp.path,
                   t.place.offset};
  if (cp.tensors.empty()) return Error{"convert.input", cp.path + " has no tensor table", {}};
  return std::nullopt;
}

Result<ConvertPlan> plan_conversion(const Checkpoint& cp, const ConvertOptions& opt) {
  if (!is_llama2c_checkpoint(opt.to))
    return Error{"convert.unsupported", "cannot write " + std::string(format_name(opt.to)) + " from " +
                                            std::string(format_name(cp.format)),
                 {}};
  if (auto e = check_convertible(cp)) return *e;

  ConvertPlan plan;
  plan.config = cp.config.value();
  ModelConfig& c = plan.config;
  const bool in_q8 = is_q8(cp.format), out_q8 = is_q8(opt.to);
  if (out_q8) {
    if (opt.group_size) c.group_size = *opt.group_size;
    else if (!in_q8) c.group_size = exporter_group_size(c.dim);
    if (c.group_size <= 0 || c.group_size > kMaxStreamGroupSize)
      return Error{"convert.group_size",
                   "the group size must be between 1 and " + std::to_string(kMaxStreamGroupSize), {}};
    if (in_q8 && c.group_size != cp.config->group_size) {
      if (!opt.allow_lossy)
        return Error{"convert.lossy", "requantizing Q8_0 from group size " + std::to_string(cp.config->group_size) +
                                          " to " + std::to_string(c.group_size) +
                                          " compounds the quantization error; pass --allow-lossy to do it anyway",
                     {}};
      plan.notes.push_back("requantized from group size " + std::to_string(cp.config->group_size));
    }
    if (!in_q8) plan.notes.push_back("quantized to Q8_0 with group size " + std::to_string(c.group_size));
  } else {
    c.group_size = 0;
    if (in_q8)
      plan.notes.push_back("Q8_0 cannot restore the original values: wrote the dequantized weights");
  }
  if (opt.to == Format::ak42_v1_q8_0 && !c.shared_classifier) {
    if (!opt.allow_lossy)
      return Error{"convert.lossy",
                   "ak42-v1-q8_0 cannot store an untied classifier (output.weight would be lost); pass "
                   "--allow-lossy to drop it",
                   {}};
    plan.notes.push_back("dropped output.weight: ak42-v1-q8_0 cannot store an untied classifier");
    c.shared_classifier = true;
  }
  if (opt.to == Format::llama2c_v0) {
    if (c.seq_len <= 0) return Error{"convert.input", "seq_len must be positive to write v0's RoPE tables", {}};
    if (auto e = check_rope_size(c)) return *e;
  }
  return plan;
}

}  // namespace ckpt
