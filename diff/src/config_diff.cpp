// Config differences: the model hyper-parameters, not the layout. group_size belongs to
// the Q8_0 layout, so comparing a Q8_0 file with an fp32 one is not a config difference.
#include "ckpt/diff.hpp"

namespace ckpt {

namespace {

// A field the format does not store (Meta's seq_len) is not a difference: its value is a
// placeholder. The family says so in config_origin.
bool unknown_in(const Checkpoint& cp, std::string_view field) {
  for (const auto& [name, origin] : cp.config_origin)
    if (name == field && origin.starts_with("unknown")) return true;
  return false;
}

}  // namespace

std::vector<ConfigDifference> diff_configs(const Checkpoint& a, const Checkpoint& b) {
  std::vector<ConfigDifference> out;
  // tt-train files store no config (their reader needs --n-heads to derive one): with
  // one side missing there is nothing to compare, and the tensors speak for themselves.
  if (!a.config || !b.config) return out;
  const ModelConfig &x = *a.config, &y = *b.config;
  const std::pair<const char*, std::pair<int64_t, int64_t>> fields[] = {
      {"dim", {x.dim, y.dim}},
      {"hidden_dim", {x.hidden_dim, y.hidden_dim}},
      {"n_layers", {x.n_layers, y.n_layers}},
      {"n_heads", {x.n_heads, y.n_heads}},
      {"n_kv_heads", {x.n_kv_heads, y.n_kv_heads}},
      {"vocab_size", {x.vocab_size, y.vocab_size}},
      {"seq_len", {x.seq_len, y.seq_len}},
      {"shared_classifier", {int64_t(x.shared_classifier), int64_t(y.shared_classifier)}},
  };
  for (const auto& [name, v] : fields) {
    if (v.first == v.second || unknown_in(a, name) || unknown_in(b, name)) continue;
    out.push_back({name, v.first, v.second});
  }
  return out;
}

std::string_view diff_status_name(DiffStatus s) {
  switch (s) {
    case DiffStatus::equal:
      return "equal";
    case DiffStatus::differs:
      return "differs";
    case DiffStatus::only_in_a:
      return "only_in_a";
    case DiffStatus::only_in_b:
      return "only_in_b";
    case DiffStatus::shape_mismatch:
      return "shape_mismatch";
  }
  return "differs";
}

bool DiffReport::equal() const {
  if (bytes) return bytes->equal();
  if (!config.empty()) return false;
  for (const auto& t : tensors)
    if (t.is_difference()) return false;
  return true;
}

}  // namespace ckpt
