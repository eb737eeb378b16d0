// Conversion plans to and from tt-train msgpack. The llama2.c side reuses
// plan_conversion so that group sizes and lossy targets are decided in one place.
#include <fmt/format.h>

#include <algorithm>

#include "ckpt/ttml.hpp"

namespace ckpt {

Result<ConvertPlan> plan_to_ttml(const Checkpoint& cp, const TtmlSourceOptions* from) {
  if (cp.format == Format::ttml_msgpack) {
    // tt-train -> tt-train: the C++ writer's form of a file (float32 and integers instead
    // of the Python exporters' float64, sorted keys, a new prefix). Only model tensors
    // are carried over.
    const TtmlSourceOptions none;
    const TtmlSourceOptions& so = from ? *from : none;
    auto c = ttml_llama_config(cp, so.n_heads, so.vocab_size, std::max<int64_t>(1, so.seq_len));
    if (!c) return c.error();
    for (const auto& v : ttml_canonical_views(cp))
      if (const TensorInfo* t = cp.find(v.source); t && t->status != TensorStatus::complete)
        return Error{"convert.input", v.source + " is " + std::string(tensor_status_name(t->status)), t->place.offset};
    ConvertPlan plan;
    plan.config = *c;
    const bool others =
        std::any_of(cp.tensors.begin(), cp.tensors.end(), [](const TensorInfo& t) { return t.alt_name.empty(); });
    if (!cp.metadata.empty() || others)
      plan.notes.push_back(
          "only the model's parameters were written (metadata, gradients and optimizer state were "
          "not)");
    return plan;
  }
  if (!is_llama2c_checkpoint(cp.format))
    return Error{
        "convert.unsupported",
        "cannot write ttml-msgpack from " + std::string(format_name(cp.format)) + " (only llama2.c checkpoints)",
        {}};
  // Also refuses an empty table: a header whose n_layers is beyond the cap has none, and
  // writing its 65535 layers took seconds before failing.
  if (auto e = check_convertible(cp)) return *e;
  ConvertPlan plan;
  plan.config = *cp.config;
  plan.config.group_size = 0;
  const ModelConfig& c = plan.config;
  if (is_q8(cp.format)) plan.notes.push_back("Q8_0 cannot restore the original values: wrote the dequantized weights");
  if (ttml_padded_vocab(c.vocab_size) != c.vocab_size)
    plan.notes.push_back(fmt::format("padded the vocabulary from {} to {} rows with zeros", c.vocab_size,
                                     ttml_padded_vocab(c.vocab_size)));
  plan.notes.push_back(
      fmt::format("tt-train files do not store n_heads or seq_len: convert back with --n-heads {} "
                  "--seq-len {} --vocab-size {}",
                  c.n_heads, c.seq_len, c.vocab_size));
  return plan;
}

Result<ConvertPlan> plan_from_ttml(const Checkpoint& cp, const ConvertOptions& opt, const TtmlSourceOptions& src_opt) {
  auto c = ttml_llama_config(cp, src_opt.n_heads, src_opt.vocab_size, src_opt.seq_len);
  if (!c) return c.error();
  // plan_conversion sees the msgpack file as the fp32 checkpoint it holds.
  Checkpoint as_fp32;
  as_fp32.path = cp.path;
  as_fp32.format = Format::llama2c_v0;
  as_fp32.config = *c;
  for (const auto& v : ttml_canonical_views(cp)) {
    const TensorInfo* t = cp.find(v.source);
    TensorInfo x;
    x.spec.name = v.name;
    x.status = t ? t->status : TensorStatus::missing;
    x.place = t ? t->place : Placement{};
    as_fp32.tensors.push_back(x);
  }
  auto plan = plan_conversion(as_fp32, opt);
  if (!plan) return plan;
  if (!src_opt.vocab_size)
    plan->notes.push_back(
        fmt::format("vocab_size {} is the padded embedding size; pass --vocab-size to drop padding "
                    "rows",
                    c->vocab_size));
  return plan;
}

}  // namespace ckpt
