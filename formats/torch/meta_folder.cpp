// Meta folders: shards read, checked against each other and against params.json.
#include "meta_folder.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "ckpt/canonical.hpp"
#include "formats.hpp"
#include "torch_names.hpp"

namespace ckpt::torch {

namespace {

// A stored name "consolidated.NN/<name>": the shard and the name.
std::pair<std::string, std::string> split_shard(const std::string& stored) {
  const size_t slash = stored.find('/');
  if (slash == std::string::npos) return {"", stored};
  return {stored.substr(0, slash), stored.substr(slash + 1)};
}

void finding(Checkpoint& cp, std::string rule, Severity s, std::string message, std::string subject = {}) {
  cp.findings.push_back({std::move(rule), s, std::move(message), std::nullopt, std::move(subject)});
}

// The shards of every canonical tensor, in shard order (shard index -> tensor index).
std::map<std::string, std::vector<size_t>> by_name(const Checkpoint& cp) {
  std::map<std::string, std::vector<size_t>> out;
  for (size_t i = 0; i < cp.tensors.size(); ++i) out[split_shard(cp.tensors[i].spec.name).second].push_back(i);
  return out;
}

void check_shards(Checkpoint& cp, size_t shards) {
  for (const auto& [name, idx] : by_name(cp)) {
    if (idx.size() != shards)
      finding(cp, "meta.shard_keys", Severity::error,
              fmt::format("{} is in {} of the {} shards", name, idx.size(), shards), name);
    const auto& first = cp.tensors[idx[0]].spec.shape;
    const int axis = meta_axis(name, first.size());
    for (size_t k = 1; k < idx.size(); ++k) {
      const auto& shape = cp.tensors[idx[k]].spec.shape;
      bool same = shape.size() == first.size();
      for (size_t d = 0; same && d < shape.size(); ++d) same = int(d) == axis || shape[d] == first[d];
      if (!same)
        finding(cp, "meta.shard_shape", Severity::error,
                fmt::format("{}: {} has another shape than {} outside the model-parallel axis", name,
                            cp.tensors[idx[k]].spec.name, cp.tensors[idx[0]].spec.name),
                name);
    }
  }
}

// The canonical tensor's full shape: shards' rows or columns summed.
std::vector<uint64_t> joined_shape(const Checkpoint& cp, const std::string& name, const std::vector<size_t>& idx) {
  std::vector<uint64_t> shape = cp.tensors[idx[0]].spec.shape;
  const int axis = meta_axis(name, shape.size());
  if (axis < 0) return shape;
  for (size_t k = 1; k < idx.size(); ++k) {
    const auto& s = cp.tensors[idx[k]].spec.shape;
    if (s.size() == shape.size()) shape[size_t(axis)] += s[size_t(axis)];
  }
  return shape;
}

}  // namespace

int meta_axis(const std::string& canonical, size_t rank) {
  if (rank < 2) return -1;
  if (canonical == "tok_embeddings.weight" || canonical.ends_with("attention.wo.weight") ||
      canonical.ends_with("feed_forward.w2.weight"))
    return 1;
  return 0;
}

std::vector<std::string> meta_shards(const Folder& dir) {
  std::vector<std::string> shards;
  if (!dir.find("params.json")) return shards;
  for (const auto& e : dir.entries())
    if (e.name.starts_with("consolidated.") && e.name.ends_with(".pth")) shards.push_back(e.name);
  return shards;  // the listing is sorted: consolidated.00.pth, consolidated.01.pth, ...
}

Result<Checkpoint> open_meta_folder(const Folder& dir, const OpenOptions& opt) {
  Checkpoint cp;
  cp.format = meta_folder;
  cp.limits = opt.limits;
  auto data = std::make_shared<TorchData>();
  const auto shards = meta_shards(dir);
  for (const auto& name : shards) {
    auto src = dir.open_file(name);
    if (!src) return src.error();
    cp.sources.push_back(*src);
    cp.file_size += (*src)->size();
  }
  cp.file_count = cp.sources.size();
  for (size_t i = 0; i < shards.size(); ++i) {
    const std::string stem = shards[i].substr(0, shards[i].size() - 4);  // consolidated.NN
    auto f = add_torch_file(cp, uint32_t(i), stem + "/", false, opt);
    if (!f) {
      finding(cp, f.error().cause.empty() ? "torch.unreadable" : f.error().cause, Severity::error,
              shards[i] + ": " + f.error().message, shards[i]);
      continue;
    }
    data->files.push_back(std::move(*f));
  }
  check_shards(cp, data->files.size());
  // params.json: the config, checked against the tensors.
  auto text = dir.read_text("params.json", opt.limits.max_config_bytes);
  nlohmann::json params = nlohmann::json::parse(text ? *text : std::string(), nullptr, false);
  if (text) data->params_json = *text;
  if (!text || !params.is_object()) {
    finding(cp, "meta.params", Severity::error, "params.json is not a JSON object", "params.json");
    cp.family_data = std::move(data);
    return cp;
  }
  auto get = [&](const char* k) -> std::optional<int64_t> {
    auto it = params.find(k);
    if (it == params.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<int64_t>();
  };
  const auto names = by_name(cp);
  auto shape_of = [&](const std::string& n) -> std::vector<uint64_t> {
    auto it = names.find(n);
    return it == names.end() ? std::vector<uint64_t>{} : joined_shape(cp, n, it->second);
  };
  ModelConfig c;
  auto& o = cp.config_origin;
  c.dim = get("dim").value_or(0);
  c.n_layers = get("n_layers").value_or(0);
  c.n_heads = get("n_heads").value_or(0);
  c.n_kv_heads = get("n_kv_heads").value_or(c.n_heads);
  for (const char* k : {"dim", "n_layers", "n_heads"}) o.push_back({k, "params.json"});
  o.push_back({"n_kv_heads", get("n_kv_heads") ? "params.json" : "params.json's n_heads (no n_kv_heads)"});
  const auto emb = shape_of("tok_embeddings.weight"), w1 = shape_of("layers.0.feed_forward.w1.weight");
  c.vocab_size = emb.size() == 2 ? int64_t(emb[0]) : 0;
  o.push_back({"vocab_size", "the rows of tok_embeddings.weight (params.json says " +
                                 std::to_string(get("vocab_size").value_or(-1)) + ")"});
  c.hidden_dim = w1.size() == 2 ? int64_t(w1[0]) : 0;
  o.push_back({"hidden_dim", "the rows of layers.0.feed_forward.w1.weight (all shards)"});
  c.seq_len = 0;
  o.push_back({"seq_len", "unknown: Meta checkpoints do not store it (export.py uses 2048; pass --seq-len)"});
  c.shared_classifier = names.find("output.weight") == names.end();
  o.push_back({"shared_classifier", c.shared_classifier ? "no output.weight" : "output.weight is stored"});
  // params.json against the tensors.
  if (emb.size() == 2 && int64_t(emb[1]) != c.dim)
    finding(cp, "meta.params", Severity::error,
            fmt::format("params.json says dim {}, tok_embeddings.weight has {} columns", c.dim, emb[1]), "dim");
  int64_t layers = 0;
  while (names.count("layers." + std::to_string(layers) + ".attention.wq.weight")) ++layers;
  if (layers != c.n_layers)
    finding(cp, "meta.params", Severity::error,
            fmt::format("params.json says n_layers {}, the shards hold {} layers", c.n_layers, layers), "n_layers");
  if (auto v = get("vocab_size"); v && *v > 0 && *v != c.vocab_size)
    finding(cp, "meta.params", Severity::error,
            fmt::format("params.json says vocab_size {}, tok_embeddings.weight has {} rows", *v, c.vocab_size),
            "vocab_size");
  if (c.n_heads <= 0 || c.dim % c.n_heads != 0)
    finding(cp, "meta.params", Severity::error, fmt::format("dim {} is not a multiple of n_heads {}", c.dim, c.n_heads),
            "n_heads");
  cp.config = c;
  cp.family_data = std::move(data);
  return cp;
}

std::vector<CanonicalView> meta_views(const Checkpoint& cp) {
  std::vector<CanonicalView> out;
  for (const auto& [name, idx] : by_name(cp)) {
    const auto canonical = canonical_name(name);
    CanonicalView v = core::whole_view(cp, idx[0], name, joined_shape(cp, name, idx));
    v.canonical = canonical.has_value();
    const int axis = meta_axis(name, cp.tensors[idx[0]].spec.shape.size());
    if (axis >= 0) {
      v.shards.assign(idx.begin() + 1, idx.end());
      v.shard_axis = axis;
    }
    v.numel = 1;
    for (uint64_t s : v.shape) v.numel *= s;
    v.source = idx.size() > 1 && axis >= 0
                   ? fmt::format("{} shards joined along {}", idx.size(), axis == 0 ? "rows" : "columns")
                   : cp.tensors[idx[0]].spec.name;
    out.push_back(std::move(v));
  }
  // The canonical order (the table's), others after by name.
  std::stable_sort(out.begin(), out.end(), [](const CanonicalView& a, const CanonicalView& b) {
    return canonical_rank(a.name) < canonical_rank(b.name);
  });
  return out;
}

}  // namespace ckpt::torch
