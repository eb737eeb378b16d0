// Stage 3 of the tt-train msgpack reader: which model a file holds, under which prefix,
// and the canonical llama2.c name of each Llama parameter (FORMATS.md's naming table).
#include <fmt/format.h>

#include <regex>

#include "ckpt/ttml.hpp"
#include "ttml_internal.hpp"

namespace ckpt {

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// The model's prefix: what precedes "tok_emb/weight" in the shortest such name (optimizer
// moments carry the same name under a longer prefix).
std::string find_prefix(const Checkpoint& cp) {
  std::string best;
  bool found = false;
  constexpr std::string_view kEmb = "tok_emb/weight";
  for (const auto& t : cp.tensors) {
    const auto& n = t.spec.name;
    if (n.size() >= kEmb.size() && n.compare(n.size() - kEmb.size(), kEmb.size(), kEmb) == 0) {
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

uint64_t rows_of(const TensorInfo& t) { return t.spec.shape.size() >= 2 ? t.spec.shape[t.spec.shape.size() - 2] : 1; }
uint64_t cols_of(const TensorInfo& t) { return t.spec.shape.empty() ? 0 : t.spec.shape.back(); }

}  // namespace

std::string ttml_llama_canonical(const std::string& rest) {
  static const std::regex block(R"(llama_block_(\d+)/(.+))");
  if (rest == "tok_emb/weight") return "tok_embeddings.weight";
  if (rest == "ln_fc/gamma") return "norm.weight";
  if (rest == "fc/weight") return "output.weight";
  std::smatch m;
  if (!std::regex_match(rest, m, block)) return {};
  const std::string i = m[1], what = m[2];
  const std::string l = "layers." + i + ".";
  if (what == "attention_norm/gamma") return l + "attention_norm.weight";
  if (what == "mlp_norm/gamma") return l + "ffn_norm.weight";
  if (what == "attention/q_linear/weight") return l + "attention.wq.weight";
  if (what == "attention/kv_linear/weight") return l + "attention.wk.weight+" + l + "attention.wv.weight";
  if (what == "attention/out_linear/weight") return l + "attention.wo.weight";
  if (what == "mlp/w1/weight") return l + "feed_forward.w1.weight";
  if (what == "mlp/w2/weight") return l + "feed_forward.w2.weight";
  if (what == "mlp/w3/weight") return l + "feed_forward.w3.weight";
  return {};
}

namespace detail {

void name_ttml_tensors(Checkpoint& cp) {
  TtmlInfo& info = *cp.ttml;
  info.prefix = find_prefix(cp);
  bool llama = false, gpt2 = false;
  for (const auto& t : cp.tensors) {
    if (!starts_with(t.spec.name, info.prefix)) continue;
    const std::string rest = t.spec.name.substr(info.prefix.size());
    llama = llama || starts_with(rest, "llama_block_");
    gpt2 = gpt2 || starts_with(rest, "gpt_block_");
  }
  info.model = llama ? "llama" : gpt2 ? "gpt2" : "";
  if (!llama) return;  // GPT-2 and other models keep their own names
  for (auto& t : cp.tensors)
    if (starts_with(t.spec.name, info.prefix)) t.alt_name = ttml_llama_canonical(t.spec.name.substr(info.prefix.size()));
}

}  // namespace detail

std::vector<TtmlCanonicalView> ttml_canonical_views(const Checkpoint& cp) {
  std::vector<TtmlCanonicalView> out;
  if (!cp.ttml || cp.ttml->model != "llama") return out;
  for (const auto& t : cp.tensors) {
    if (t.alt_name.empty()) continue;
    const uint64_t rows = rows_of(t), cols = cols_of(t);
    if (auto plus = t.alt_name.find('+'); plus != std::string::npos) {
      const uint64_t half = rows / 2;  // kv_linear: rows of wk, then rows of wv
      out.push_back({t.alt_name.substr(0, plus), t.spec.name, 0, half, cols});
      out.push_back({t.alt_name.substr(plus + 1), t.spec.name, half, rows - half, cols});
    } else {
      out.push_back({t.alt_name, t.spec.name, 0, rows, cols});
    }
  }
  return out;
}

Result<TtmlLlamaShape> ttml_llama_shape(const Checkpoint& cp) {
  auto fail = [](std::string m) { return Error{"convert.input", std::move(m), {}}; };
  if (!cp.ttml || cp.ttml->model != "llama")
    return fail("not a tt-train Llama model (no llama_block_ parameters under one prefix)");
  const TensorInfo* emb = cp.find("tok_embeddings.weight");
  if (!emb) return fail("no tok_emb/weight");
  TtmlLlamaShape s;
  s.dim = int64_t(cols_of(*emb));
  s.vocab_rows = int64_t(rows_of(*emb));
  while (cp.find("layers." + std::to_string(s.n_layers) + ".attention.wq.weight")) ++s.n_layers;
  if (s.n_layers == 0) return fail("no llama_block_0/attention/q_linear/weight");
  const TensorInfo* w1 = cp.find("layers.0.feed_forward.w1.weight");
  if (!w1) return fail("no llama_block_0/mlp/w1/weight");
  s.hidden_dim = int64_t(rows_of(*w1));
  const TensorInfo* kv = cp.find("layers.0.attention.wk.weight+layers.0.attention.wv.weight");
  if (!kv) return fail("no llama_block_0/attention/kv_linear/weight");
  s.kv_rows = int64_t(rows_of(*kv));
  s.shared_classifier = cp.find("output.weight") == nullptr;
  return s;
}

Result<ModelConfig> ttml_llama_config(const Checkpoint& cp, int64_t n_heads, std::optional<int64_t> vocab_size,
                                      int64_t seq_len) {
  auto fail = [](std::string m) { return Error{"convert.input", std::move(m), {}}; };
  auto s = ttml_llama_shape(cp);
  if (!s) return s.error();
  ModelConfig c;
  c.dim = s->dim;
  c.hidden_dim = s->hidden_dim;
  c.n_layers = s->n_layers;
  if (n_heads <= 0) return fail("--n-heads is required: tt-train files do not store the number of heads");
  if (c.dim % n_heads != 0) return fail(fmt::format("dim {} is not a multiple of --n-heads {}", c.dim, n_heads));
  c.n_heads = n_heads;
  const int64_t hs = c.dim / n_heads, kvd = s->kv_rows / 2;
  if (s->kv_rows % 2 != 0 || kvd % hs != 0)
    return fail(fmt::format("kv_linear has {} rows: not 2 x a multiple of head size {}", s->kv_rows, hs));
  c.n_kv_heads = kvd / hs;
  c.vocab_size = vocab_size.value_or(s->vocab_rows);
  if (c.vocab_size <= 0 || c.vocab_size > s->vocab_rows)
    return fail(fmt::format("--vocab-size {} is not in 1..{} (the embedding's rows)", c.vocab_size, s->vocab_rows));
  if (seq_len <= 0) return fail("--seq-len is required: tt-train files do not store the sequence length");
  c.seq_len = seq_len;
  c.shared_classifier = s->shared_classifier;
  return c;
}

TtmlWeights::TtmlWeights(const ByteSource& src, const Checkpoint& cp)
    : src_(src), cp_(cp), views_(ttml_canonical_views(cp)) {}

Result<uint64_t> TtmlWeights::values(const TensorSpec& spec, const F32Sink& sink) const {
  const TtmlCanonicalView* v = nullptr;
  for (const auto& x : views_)
    if (x.name == spec.name) v = &x;
  if (!v && spec.name == "output.weight")
    for (const auto& x : views_)
      if (x.name == "tok_embeddings.weight") v = &x;
  if (!v) return Error{"write.source", spec.name + ": not in " + cp_.path, {}};
  const TensorInfo* t = cp_.find(v->source);
  if (!t) return Error{"write.source", v->source + ": not in " + cp_.path, {}};
  if (t->status != TensorStatus::complete)
    return Error{"write.source", v->source + " is " + std::string(tensor_status_name(t->status)), t->place.offset};
  // Rows of the view, cut to what the spec needs (drops the vocabulary padding).
  const uint64_t first = v->row_begin * v->cols;
  const uint64_t want = spec.numel;
  if (want > v->rows * v->cols)
    return Error{"write.source",
                 fmt::format("{}: needs {} values, {} has {}", spec.name, want, v->source, v->rows * v->cols),
                 {}};
  uint64_t sent = 0;
  auto r = stream_f32(src_, cp_, *t, [&](uint64_t at, const float* x, size_t n) {
    const uint64_t lo = std::max(at, first), hi = std::min<uint64_t>(at + n, first + want);
    if (lo < hi) {
      if (!sink(sent, x + (lo - at), size_t(hi - lo))) return false;
      sent += hi - lo;
    }
    return at + n < first + want;
  });
  if (!r) return r.error();
  return sent;
}

}  // namespace ckpt
