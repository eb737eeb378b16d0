// Hugging Face folders: weight files read, config.json and the index checked.
#include "hf_folder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "ckpt/canonical.hpp"
#include "formats.hpp"
#include "hf_data.hpp"
#include "hf_names.hpp"
#include "safetensors_file.hpp"
#include "torch/torch_names.hpp"

namespace ckpt::safetensors {

namespace {

void finding(Checkpoint& cp, std::string rule, Severity s, std::string message, std::string subject = {}) {
  cp.findings.push_back({std::move(rule), s, std::move(message), std::nullopt, std::move(subject)});
}

bool sharded_name(std::string_view n, std::string_view stem, std::string_view ext) {
  // stem-NNNNN-of-NNNNN.ext
  return n.starts_with(stem) && n.ends_with(ext) && n.size() > stem.size() + ext.size() + 1 && n[stem.size()] == '-' &&
         n.find("-of-") != std::string_view::npos;
}

// The shard order of an index: the order its weight_map first names each file.
std::vector<std::string> index_order(const nlohmann::json& index) {
  std::vector<std::string> out;
  auto map = index.find("weight_map");
  if (map == index.end() || !map->is_object()) return out;
  for (const auto& [k, v] : map->items())
    if (v.is_string() && std::find(out.begin(), out.end(), v.get<std::string>()) == out.end())
      out.push_back(v.get<std::string>());
  std::sort(out.begin(), out.end());  // model-00001-of-..., model-00002-of-...
  return out;
}

// config.json's integer field, when it is one.
std::optional<int64_t> int_field(const nlohmann::json& j, const char* k) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

const TensorInfo* find_tensor(const Checkpoint& cp, const std::string& name) {
  for (const auto& t : cp.tensors)
    if (t.spec.name == name) return &t;
  return nullptr;
}

// config.json read into the checkpoint's config, with origins, and checked against the
// tensors' shapes.
void read_config(Checkpoint& cp, const nlohmann::json& j, HfData& data) {
  ModelConfig c;
  auto& o = cp.config_origin;
  auto take = [&](int64_t& into, const char* field, const char* key) {
    if (auto v = int_field(j, key)) {
      into = *v;
      o.push_back({field, std::string("config.json ") + key});
    } else {
      finding(cp, "hf.config", Severity::error, fmt::format("config.json has no integer {}", key), key);
    }
  };
  take(c.dim, "dim", "hidden_size");
  take(c.hidden_dim, "hidden_dim", "intermediate_size");
  take(c.n_layers, "n_layers", "num_hidden_layers");
  take(c.n_heads, "n_heads", "num_attention_heads");
  take(c.vocab_size, "vocab_size", "vocab_size");
  if (auto kv = int_field(j, "num_key_value_heads")) {
    c.n_kv_heads = *kv;
    o.push_back({"n_kv_heads", "config.json num_key_value_heads"});
  } else {
    c.n_kv_heads = c.n_heads;
    o.push_back({"n_kv_heads", "config.json num_attention_heads (no num_key_value_heads)"});
  }
  if (auto s = int_field(j, "max_position_embeddings")) {
    c.seq_len = *s;
    o.push_back({"seq_len", "config.json max_position_embeddings"});
  } else {
    c.seq_len = 0;
    o.push_back({"seq_len", "unknown: config.json has no max_position_embeddings (pass --seq-len)"});
  }
  const bool tie = j.value("tie_word_embeddings", false);
  const bool has_head = find_tensor(cp, "lm_head.weight") != nullptr;
  c.shared_classifier = tie || !has_head;
  o.push_back({"shared_classifier", tie        ? "config.json tie_word_embeddings"
                                    : has_head ? "lm_head.weight is stored"
                                               : "no lm_head.weight"});
  if (!tie && !has_head)
    finding(
        cp, "hf.missing", Severity::error,
        "lm_head.weight is missing and tie_word_embeddings is not true: transformers initialises a random classifier",
        "lm_head.weight");
  if (auto a = j.find("architectures"); a != j.end() && a->is_array() && !a->empty() && a->front().is_string() &&
                                        a->front().get<std::string>() != "LlamaForCausalLM")
    finding(cp, "hf.config", Severity::warning,
            fmt::format("architectures names {}, not LlamaForCausalLM: the names are read as Llama's",
                        a->front().get<std::string>()),
            "architectures");
  if (c.n_heads > 0 && c.dim % c.n_heads == 0) data.head_size = uint64_t(c.dim / c.n_heads);
  if (auto hd = int_field(j, "head_dim"); hd && data.head_size && uint64_t(*hd) != data.head_size)
    finding(cp, "hf.config", Severity::error,
            fmt::format("head_dim {} is not hidden_size / num_attention_heads = {}: not a Llama ckpt can read", *hd,
                        data.head_size),
            "head_dim");
  if (c.n_heads <= 0 || c.dim % c.n_heads != 0)
    finding(cp, "hf.config", Severity::error,
            fmt::format("hidden_size {} is not a multiple of num_attention_heads {}", c.dim, c.n_heads),
            "num_attention_heads");
  // The shapes the config implies, against the stored ones.
  const uint64_t hs = data.head_size;
  auto expect = [&](const std::string& name, std::vector<uint64_t> shape, const char* key) {
    const TensorInfo* t = find_tensor(cp, name);
    if (!t || t->spec.shape == shape) return;
    auto str = [](const std::vector<uint64_t>& s) {
      std::string r = "(";
      for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
      return r + (s.size() == 1 ? ",)" : ")");
    };
    finding(cp, "hf.config", Severity::error,
            fmt::format("{} has shape {}, config.json ({}) implies {}", name, str(t->spec.shape), key, str(shape)),
            name);
  };
  const uint64_t d = uint64_t(std::max<int64_t>(c.dim, 0)), v = uint64_t(std::max<int64_t>(c.vocab_size, 0)),
                 h = uint64_t(std::max<int64_t>(c.hidden_dim, 0)), kv = uint64_t(std::max<int64_t>(c.n_kv_heads, 0));
  expect("model.embed_tokens.weight", {v, d}, "vocab_size, hidden_size");
  expect("lm_head.weight", {v, d}, "vocab_size, hidden_size");
  expect("model.norm.weight", {d}, "hidden_size");
  for (int64_t l = 0; l < c.n_layers && l < cp.limits.max_layers; ++l) {
    const std::string p = fmt::format("model.layers.{}.", l);
    expect(p + "self_attn.q_proj.weight", {d, d}, "hidden_size");
    if (hs) expect(p + "self_attn.k_proj.weight", {kv * hs, d}, "num_key_value_heads x head size, hidden_size");
    if (hs) expect(p + "self_attn.v_proj.weight", {kv * hs, d}, "num_key_value_heads x head size, hidden_size");
    expect(p + "self_attn.o_proj.weight", {d, d}, "hidden_size");
    expect(p + "mlp.gate_proj.weight", {h, d}, "intermediate_size, hidden_size");
    expect(p + "mlp.up_proj.weight", {h, d}, "intermediate_size, hidden_size");
    expect(p + "mlp.down_proj.weight", {d, h}, "hidden_size, intermediate_size");
    expect(p + "input_layernorm.weight", {d}, "hidden_size");
    expect(p + "post_attention_layernorm.weight", {d}, "hidden_size");
    for (const HfParam& param : kHfLlamaParams) {
      std::string n(param.hf);
      if (n.find("{i}") == std::string::npos) continue;
      n.replace(n.find("{i}"), 3, std::to_string(l));
      if (!find_tensor(cp, n))
        finding(cp, "hf.missing", Severity::error,
                fmt::format("{} is missing (config.json says {} layers)", n, c.n_layers), n);
    }
  }
  for (const char* n : {"model.embed_tokens.weight", "model.norm.weight"})
    if (!find_tensor(cp, n)) finding(cp, "hf.missing", Severity::error, fmt::format("{} is missing", n), n);
  // Layers past num_hidden_layers.
  for (const auto& t : cp.tensors) {
    auto m = canonical_of_hf(t.spec.name);
    if (m && m->layer >= c.n_layers)
      finding(cp, "hf.config", Severity::error,
              fmt::format("{} is a layer past num_hidden_layers {}", t.spec.name, c.n_layers), t.spec.name);
  }
  cp.config = c;
}

// The index's weight_map against the files: every listed tensor in the file it names,
// every stored tensor listed.
void check_index(Checkpoint& cp, const nlohmann::json& index, const std::string& index_name,
                 const std::map<std::string, std::string>& file_of) {
  auto map = index.find("weight_map");
  if (map == index.end() || !map->is_object()) {
    finding(cp, "hf.index", Severity::error, index_name + " has no weight_map object", index_name);
    return;
  }
  for (const auto& [name, file] : map->items()) {
    auto it = file_of.find(name);
    const std::string f = file.is_string() ? file.get<std::string>() : "?";
    if (it == file_of.end())
      finding(cp, "hf.index", Severity::error,
              fmt::format("{} lists {} in {}, which does not hold it", index_name, name, f), name);
    else if (it->second != f)
      finding(cp, "hf.index", Severity::error,
              fmt::format("{} lists {} in {}, but {} holds it", index_name, name, f, it->second), name);
  }
  for (const auto& [name, file] : file_of)
    if (!map->contains(name))
      finding(cp, "hf.index", Severity::warning,
              fmt::format("{} holds {}, which {} does not list: transformers does not load it", file, name, index_name),
              name);
}

}  // namespace

HfFiles hf_files(const Folder& dir) {
  HfFiles out;
  if (!dir.find("config.json")) return out;
  auto pick = [&](std::string_view single, std::string_view stem, std::string_view ext, std::string_view index) {
    if (dir.find(single)) {
      out.weights.push_back(std::string(single));
      return true;
    }
    for (const auto& e : dir.entries())
      if (sharded_name(e.name, stem, ext)) out.weights.push_back(e.name);
    if (!out.weights.empty() && dir.find(index)) out.index = std::string(index);
    return !out.weights.empty();
  };
  if (pick("model.safetensors", "model", ".safetensors", "model.safetensors.index.json")) return out;
  out.torch = pick("pytorch_model.bin", "pytorch_model", ".bin", "pytorch_model.bin.index.json");
  return out;
}

Result<Checkpoint> open_hf_folder(const Folder& dir, const OpenOptions& opt) {
  Checkpoint cp;
  cp.format = hf_folder;
  cp.limits = opt.limits;
  auto data = std::make_shared<HfData>();
  HfFiles files = hf_files(dir);
  nlohmann::json index;
  if (!files.index.empty()) {
    auto text = dir.read_text(files.index, opt.limits.max_config_bytes);
    index = nlohmann::json::parse(text ? *text : std::string(), nullptr, false);
    if (!index.is_object()) {
      finding(cp, "hf.index", Severity::error, files.index + " is not a JSON object", files.index);
      index = nlohmann::json::object();
    }
    // The index decides the order (and names files the listing may lack).
    auto order = index_order(index);
    for (const auto& f : order)
      if (!dir.find(f)) finding(cp, "hf.index", Severity::error, files.index + " names " + f + ", which is missing", f);
    for (const auto& f : files.weights)
      if (std::find(order.begin(), order.end(), f) == order.end() && !order.empty())
        finding(cp, "hf.index", Severity::warning, files.index + " does not name " + f, f);
  } else if (files.weights.size() > 1) {
    finding(cp, "hf.index", Severity::error,
            fmt::format("{} weight files and no index json: transformers cannot load them", files.weights.size()));
  }
  data->index_name = files.index;
  for (const auto& name : files.weights) {
    auto src = dir.open_file(name);
    if (!src) return src.error();
    cp.sources.push_back(*src);
    cp.file_size += (*src)->size();
  }
  cp.file_count = cp.sources.size();
  std::map<std::string, std::string> file_of;
  for (size_t i = 0; i < files.weights.size(); ++i) {
    const size_t before = cp.tensors.size();
    const std::string& name = files.weights[i];
    if (files.torch) {
      auto f = torch::add_torch_file(cp, uint32_t(i), "", false, opt);
      if (!f) {
        finding(cp, f.error().cause.empty() ? "torch.unreadable" : f.error().cause, Severity::error,
                name + ": " + f.error().message, name);
        continue;
      }
      data->torch_files.push_back(std::move(*f));
    } else {
      auto f = add_safetensors_file(cp, uint32_t(i), name, opt);
      if (!f) {
        finding(cp, f.error().cause.empty() ? "safetensors.unreadable" : f.error().cause, Severity::error,
                f.error().message, name);
        continue;
      }
      data->safetensors.push_back(std::move(*f));
    }
    for (size_t t = before; t < cp.tensors.size(); ++t) {
      auto [it, fresh] = file_of.emplace(cp.tensors[t].spec.name, name);
      if (!fresh)
        finding(cp, "hf.index", Severity::error,
                fmt::format("{} is in both {} and {}", cp.tensors[t].spec.name, it->second, name),
                cp.tensors[t].spec.name);
    }
  }
  if (!files.index.empty()) check_index(cp, index, files.index, file_of);
  auto text = dir.read_text("config.json", opt.limits.max_config_bytes);
  nlohmann::json config = nlohmann::json::parse(text ? *text : std::string(), nullptr, false);
  if (text) data->config_json = *text;
  if (!text || !config.is_object())
    finding(cp, "hf.config", Severity::error, "config.json is not a JSON object", "config.json");
  else
    read_config(cp, config, *data);
  cp.family_data = std::move(data);
  return cp;
}

std::vector<CanonicalView> hf_views(const Checkpoint& cp, uint64_t head_size) {
  std::vector<CanonicalView> out;
  for (size_t i = 0; i < cp.tensors.size(); ++i) {
    const TensorInfo& t = cp.tensors[i];
    auto m = torch::canonical_name(t.spec.name);
    CanonicalView v = core::whole_view(cp, i, m ? m->name : t.spec.name, {});
    v.canonical = m.has_value();
    // Rows of whole heads only: a shape that is not is reported by hf.config, and read as
    // stored.
    if (m && m->rotary && head_size && t.spec.shape.size() == 2 && t.spec.shape[0] % head_size == 0)
      v.rotary_head_size = head_size;
    out.push_back(std::move(v));
  }
  std::stable_sort(out.begin(), out.end(), [](const CanonicalView& a, const CanonicalView& b) {
    return canonical_rank(a.name) < canonical_rank(b.name);
  });
  return out;
}

}  // namespace ckpt::safetensors
