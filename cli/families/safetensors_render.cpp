// What safetensors inputs show beyond the common model: each file's header length, data
// start and __metadata__; for a Hugging Face folder config.json's main keys, the index
// file and how many tensors each shard holds (pytorch_model*.bin shards as torch files).
#include <fmt/format.h>

#include "family_render.hpp"
#include "safetensors/hf_data.hpp"
#include "torch_file_render.hpp"

namespace ckpt::cli {

using nlohmann::json;
using namespace safetensors;

namespace {

// The config.json keys that decide the model's shape and how transformers builds it.
constexpr const char* kMainKeys[] = {
    "architectures",       "model_type",          "hidden_size", "intermediate_size",       "num_hidden_layers",
    "num_attention_heads", "num_key_value_heads", "vocab_size",  "max_position_embeddings", "rms_norm_eps",
    "rope_theta",          "tie_word_embeddings", "torch_dtype"};

json main_config(const std::string& text) {
  const json c = json::parse(text, nullptr, false);
  if (!c.is_object()) return nullptr;
  json out = json::object();
  for (const char* k : kMainKeys)
    if (auto it = c.find(k); it != c.end()) out[k] = *it;
  return out;
}

std::string file_text(const SafetensorsFile& f) {
  std::string out = fmt::format("\nsafetensors{}\n", f.name.empty() ? "" : " " + f.name);
  const SafetensorsHeader& h = f.header;
  out += fmt::format("  header length {} (bytes 0..7), JSON bytes 8..{}, data starts at {}, {} tensors\n",
                     h.header_length, h.data_begin ? h.data_begin - 1 : 0, h.data_begin, h.tensors.size());
  out += fmt::format("  __metadata__ ({})\n", h.metadata.size());
  for (const auto& [k, v] : h.metadata) out += fmt::format("    {} = {}\n", k, v);
  return out;
}

json file_json(const Checkpoint& cp, const SafetensorsFile& f) {
  json meta = json::object();
  for (const auto& [k, v] : f.header.metadata) meta[k] = v;
  return json{{"file", f.name.empty() ? json(nullptr) : json(f.name)},
              {"size", cp.source(f.source).size()},
              {"header_length", f.header.header_length},
              {"data_begin", f.header.data_begin},
              {"tensors", f.header.tensors.size()},
              {"metadata", meta}};
}

// Tensors per weight file, in the folder's order.
std::vector<std::pair<std::string, uint64_t>> shard_counts(const Checkpoint& cp, const HfData& d) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& f : d.safetensors) out.emplace_back(f.name, f.header.tensors.size());
  for (const auto& f : d.torch_files) out.emplace_back(source_file_name(cp, f.source), f.tensor_count);
  return out;
}

std::string hf_text(const Checkpoint& cp) {
  const HfData* d = hf_data(cp);
  if (!d) return {};
  std::string out;
  if (cp.folder) {
    const json c = main_config(d->config_json);
    if (c.is_null()) {
      out += "\nconfig.json: not a JSON object\n";
    } else {
      out += fmt::format("\nconfig.json (main keys: {} of {})\n", c.size(), std::size(kMainKeys));
      for (const auto& [k, v] : c.items()) out += fmt::format("  {} = {}\n", k, v.dump());
    }
    const auto shards = shard_counts(cp, *d);
    out +=
        fmt::format("\nweight files ({}), index {}\n", shards.size(), d->index_name.empty() ? "none" : d->index_name);
    for (const auto& [name, n] : shards) out += fmt::format("  {:<40} {:>6} tensors\n", name, n);
  }
  for (const auto& f : d->safetensors) out += file_text(f);
  for (const auto& f : d->torch_files) out += torch_file_text(cp, f, source_file_name(cp, f.source));
  return out;
}

void hf_json(const Checkpoint& cp, json& doc) {
  const HfData* d = hf_data(cp);
  if (!d) return;
  json files = json::array();
  for (const auto& f : d->safetensors) files.push_back(file_json(cp, f));
  json s{{"files", files}};
  if (cp.folder) {
    json torch_files = json::array();
    for (const auto& f : d->torch_files) {
      json j = torch_file_json(cp, f, source_file_name(cp, f.source));
      j["size"] = cp.source(f.source).size();
      torch_files.push_back(std::move(j));
    }
    json shards = json::array();
    for (const auto& [name, n] : shard_counts(cp, *d)) shards.push_back({{"file", name}, {"tensors", n}});
    s["config"] = main_config(d->config_json);
    s["index"] = d->index_name.empty() ? json(nullptr) : json(d->index_name);
    s["shards"] = shards;
    s["torch_files"] = torch_files;
  }
  doc["safetensors"] = std::move(s);
}

// pytorch_model*.bin tensors get what torch files' tensors get.
void hf_tensor(const Checkpoint& cp, const TensorInfo& t, json& tensor) {
  if (const HfData* d = hf_data(cp))
    if (json x = torch_tensor_json(cp, d->torch_files, t); !x.is_null()) tensor["torch"] = std::move(x);
}

}  // namespace

const FamilyRenderer kSafetensorsRenderer{hf_text, hf_json, hf_tensor};

}  // namespace ckpt::cli
