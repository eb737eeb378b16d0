// Stage 3 of the tt-train msgpack reader and what builds on it: which model a file
// holds, under which prefix, the canonical views of its tensors through the one name
// table (ttml.hpp), and the config a conversion needs.
#include <fmt/format.h>

#include "core/family.hpp"
#include "msgpack_internal.hpp"
#include "ttml.hpp"

namespace ckpt::ttml {

namespace {

// The model's prefix: what precedes "tok_emb/weight" in the shortest such name (optimizer
// moments carry the same name under a longer prefix).
std::string find_prefix(const Checkpoint& cp) {
  std::string best;
  bool found = false;
  constexpr std::string_view kEmb = "tok_emb/weight";
  for (const auto& t : cp.tensors) {
    const auto& n = t.spec.name;
    if (n.ends_with(kEmb)) {
      std::string p = n.substr(0, n.size() - kEmb.size());
      if (!found || p.size() < best.size()) best = p, found = true;
    }
  }
  if (found) return best;
  // No embedding: fall back to the prefix of the first block name.
  for (const auto& t : cp.tensors)
    for (std::string_view block : {"llama_block_", "gpt_block_"})
      if (auto pos = t.spec.name.find(block); pos != std::string::npos) return t.spec.name.substr(0, pos);
  return {};
}

// tt-train stores matrices as [1, 1, rows, cols] and vectors as [1, 1, 1, n].
std::vector<uint64_t> squeeze(const std::string& name, std::vector<uint64_t> shape) {
  const size_t want = name.find("norm") != std::string::npos ? 1 : 2;
  while (shape.size() > want && shape.front() == 1) shape.erase(shape.begin());
  return shape;
}

// The canonical names of a stored tensor: the Llama parameters of the model's prefix.
std::vector<std::string> stored_canonical_names(const TtmlModel& info, const std::string& name) {
  if (info.model != "llama" || !name.starts_with(info.prefix)) return {};
  return llama_canonical_names(std::string_view(name).substr(info.prefix.size()));
}

}  // namespace

std::string with_layer(std::string_view pattern, int64_t layer) {
  std::string s(pattern);
  if (const size_t at = s.find("{i}"); at != std::string::npos) s.replace(at, 3, std::to_string(layer));
  return s;
}

std::vector<std::string> llama_canonical_names(std::string_view rest) {
  // A layer parameter: "llama_block_<digits>/..." matches the pattern with "{i}".
  int64_t layer = -1;
  std::string pattern(rest);
  constexpr std::string_view kBlock = "llama_block_";
  if (rest.starts_with(kBlock)) {
    size_t i = kBlock.size(), end = i;
    while (end < rest.size() && end - i < 9 && rest[end] >= '0' && rest[end] <= '9') ++end;
    if (end == i || end >= rest.size() || rest[end] != '/') return {};
    layer = std::stoll(std::string(rest.substr(i, end - i)));
    pattern = std::string(kBlock) + "{i}" + std::string(rest.substr(end));
  }
  for (const auto& p : kLlamaParams) {
    if (p.ttml != pattern) continue;
    std::vector<std::string> out;
    for (std::string_view c : p.canonical)
      if (!c.empty()) out.push_back(with_layer(c, layer));
    return out;
  }
  return {};
}

void name_ttml_tensors(const Checkpoint& cp, TtmlModel& info) {
  info.prefix = find_prefix(cp);
  bool llama = false, gpt2 = false;
  for (const auto& t : cp.tensors) {
    if (!t.spec.name.starts_with(info.prefix)) continue;
    const std::string rest = t.spec.name.substr(info.prefix.size());
    llama = llama || rest.starts_with("llama_block_");
    gpt2 = gpt2 || rest.starts_with("gpt_block_");
  }
  info.model = llama ? "llama" : gpt2 ? "gpt2" : "";
}

std::vector<CanonicalView> ttml_views(const Checkpoint& cp) {
  std::vector<CanonicalView> out;
  const TtmlModel* info = cp.data_as<TtmlModel>();
  for (size_t i = 0; i < cp.tensors.size(); ++i) {
    const TensorInfo& t = cp.tensors[i];
    const std::vector<std::string> names =
        info ? stored_canonical_names(*info, t.spec.name) : std::vector<std::string>{};
    CanonicalView whole = core::whole_view(cp, i, names.size() == 1 ? names[0] : t.spec.name,
                                           squeeze(names.size() == 1 ? names[0] : t.spec.name, t.spec.shape));
    whole.canonical = names.size() == 1;
    if (names.size() != 2) {
      out.push_back(std::move(whole));
      continue;
    }
    // kv_linear: the first half of the rows is wk, the second wv (FORMATS.md).
    std::vector<uint64_t> shape = squeeze(names[0], t.spec.shape);
    if (shape.size() != 2 || shape[0] % 2 != 0) {
      whole.canonical = false;  // not splittable: stays itself, matches nothing
      out.push_back(std::move(whole));
      continue;
    }
    const uint64_t half = shape[0] / 2;
    for (size_t k = 0; k < 2; ++k) {
      CanonicalView v;
      v.name = names[k];
      v.tensor = i;
      v.row_begin = k * half;
      v.shape = {half, shape[1]};
      v.numel = half * shape[1];
      v.source = t.spec.name + " rows " + std::to_string(k * half) + ".." + std::to_string((k + 1) * half - 1);
      out.push_back(std::move(v));
    }
  }
  return out;
}

Result<LlamaShape> llama_shape(const Checkpoint& cp) {
  auto fail = [](std::string m) { return Error{ErrorCode::convert_input, std::move(m), {}}; };
  const TtmlModel* info = cp.data_as<TtmlModel>();
  if (!info || info->model != "llama")
    return fail("not a tt-train Llama model (no llama_block_ parameters under one prefix)");
  const auto views = ttml_views(cp);
  auto rows = [](const CanonicalView& v) { return int64_t(v.shape.size() >= 2 ? v.shape[0] : 1); };
  const CanonicalView* emb = find_view(views, "tok_embeddings.weight");
  if (!emb) return fail("no tok_emb/weight");
  LlamaShape s;
  s.dim = int64_t(emb->shape.empty() ? 0 : emb->shape.back());
  s.vocab_rows = rows(*emb);
  while (find_view(views, "layers." + std::to_string(s.n_layers) + ".attention.wq.weight")) ++s.n_layers;
  if (s.n_layers == 0) return fail("no llama_block_0/attention/q_linear/weight");
  const CanonicalView* w1 = find_view(views, "layers.0.feed_forward.w1.weight");
  if (!w1) return fail("no llama_block_0/mlp/w1/weight");
  s.hidden_dim = rows(*w1);
  const CanonicalView* wk = find_view(views, "layers.0.attention.wk.weight");
  if (!wk) return fail("no llama_block_0/attention/kv_linear/weight");
  s.kv_rows = 2 * rows(*wk);
  s.shared_classifier = find_view(views, "output.weight") == nullptr;
  return s;
}

Result<ModelConfig> llama_config(const Checkpoint& cp, int64_t n_heads, std::optional<int64_t> vocab_size,
                                 int64_t seq_len) {
  auto fail = [](std::string m) { return Error{ErrorCode::convert_input, std::move(m), {}}; };
  auto s = llama_shape(cp);
  if (!s) return s.error();
  ModelConfig c;
  c.dim = s->dim;
  c.hidden_dim = s->hidden_dim;
  c.n_layers = s->n_layers;
  if (n_heads <= 0) return fail("--n-heads is required: tt-train files do not store the number of heads");
  if (c.dim % n_heads != 0) return fail(fmt::format("dim {} is not a multiple of --n-heads {}", c.dim, n_heads));
  c.n_heads = n_heads;
  const int64_t head_size = c.dim / n_heads, kvd = s->kv_rows / 2;
  if (s->kv_rows % 2 != 0 || kvd % head_size != 0)
    return fail(fmt::format("kv_linear has {} rows: not 2 x a multiple of head size {}", s->kv_rows, head_size));
  c.n_kv_heads = kvd / head_size;
  c.vocab_size = vocab_size.value_or(s->vocab_rows);
  if (c.vocab_size <= 0 || c.vocab_size > s->vocab_rows)
    return fail(fmt::format("--vocab-size {} is not in 1..{} (the embedding's rows)", c.vocab_size, s->vocab_rows));
  if (seq_len <= 0) return fail("--seq-len is required: tt-train files do not store the sequence length");
  c.seq_len = seq_len;
  c.shared_classifier = s->shared_classifier;
  return c;
}

}  // namespace ckpt::ttml
