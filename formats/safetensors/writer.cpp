// The safetensors and Hugging Face folder writers.
#include "writer.hpp"

#include <fmt/format.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "ckpt/canonical.hpp"

namespace ckpt::safetensors {

namespace {

// The safetensors Dtype enum order (BOOL < U8 < ... < F16 < BF16 < ... < F32 ...): files
// sort their tensors by it, descending.
int dtype_rank(DType d) {
  switch (d) {
    case DType::f16:
      return 7;
    case DType::bf16:
      return 8;
    case DType::f32:
      return 11;
    default:
      return 0;
  }
}

std::string_view dtype_tag(DType d) {
  switch (d) {
    case DType::f16:
      return "F16";
    case DType::bf16:
      return "BF16";
    default:
      return "F32";
  }
}

// A JSON string as serde_json writes it (names here are ASCII identifiers, but escape
// what JSON requires anyway).
std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += char(c);
    else if (c < 0x20)
      out += fmt::format("\\u{:04x}", c);
    else
      out += char(c);
  }
  return out + "\"";
}

// Converts fp32 values to the stored type, round to nearest even (torch's .to()).
void encode(DType d, const float* v, size_t n, std::vector<uint8_t>& out) {
  const size_t w = dtype_width(d);
  out.resize(n * w);
  if (d == DType::f32) {
    std::memcpy(out.data(), v, n * 4);
  } else if (d == DType::bf16) {
    for (size_t i = 0; i < n; ++i) {
      const uint16_t bits = Eigen::numext::bit_cast<uint16_t>(Eigen::bfloat16(v[i]));
      std::memcpy(out.data() + 2 * i, &bits, 2);
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      const uint16_t bits = Eigen::numext::bit_cast<uint16_t>(Eigen::half(v[i]));
      std::memcpy(out.data() + 2 * i, &bits, 2);
    }
  }
}

}  // namespace

FilePlan plan_file(std::vector<OutTensor> tensors, const std::map<std::string, std::string>& metadata) {
  std::stable_sort(tensors.begin(), tensors.end(), [](const OutTensor& a, const OutTensor& b) {
    if (dtype_rank(a.dtype) != dtype_rank(b.dtype)) return dtype_rank(a.dtype) > dtype_rank(b.dtype);
    return a.name < b.name;
  });
  FilePlan plan;
  std::string h = "{";
  if (!metadata.empty()) {
    h += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) h += (first ? "" : ",") + json_string(k) + ":" + json_string(v), first = false;
    h += "}";
  }
  uint64_t pos = 0;
  for (const auto& t : tensors) {
    const uint64_t bytes = t.numel * dtype_width(t.dtype);
    std::string shape;
    for (size_t i = 0; i < t.shape.size(); ++i) shape += (i ? "," : "") + std::to_string(t.shape[i]);
    h += (h.size() > 1 ? "," : "") + json_string(t.name) + ":{\"dtype\":" + json_string(dtype_tag(t.dtype)) +
         ",\"shape\":[" + shape + "],\"data_offsets\":[" + std::to_string(pos) + "," + std::to_string(pos + bytes) +
         "]}";
    plan.begin.push_back(pos);
    pos += bytes;
  }
  h += "}";
  h.append((8 - h.size() % 8) % 8, ' ');
  plan.header = std::move(h);
  plan.tensors = std::move(tensors);
  plan.data_bytes = pos;
  return plan;
}

Result<uint64_t> write_file(ByteSink& out, const FilePlan& plan, const WeightSource& w) {
  uint8_t len[8];
  const uint64_t n = plan.header.size();
  std::memcpy(len, &n, 8);  // little-endian host (checked in CMake)
  if (auto r = out.write_at(0, len, 8); !r) return r.error();
  if (auto r = out.write_at(8, plan.header.data(), plan.header.size()); !r) return r.error();
  const uint64_t data = 8 + n;
  std::vector<uint8_t> bytes;
  std::vector<float> head;  // one head's rows, for the rotary permutation
  for (size_t k = 0; k < plan.tensors.size(); ++k) {
    const OutTensor& t = plan.tensors[k];
    const uint64_t width = dtype_width(t.dtype), cols = t.shape.size() >= 2 ? t.numel / t.shape[0] : t.numel;
    uint64_t at = data + plan.begin[k];
    Result<bool> status = true;
    auto put = [&](const float* v, size_t count) {
      encode(t.dtype, v, count, bytes);
      status = out.write_at(at, bytes.data(), bytes.size());
      at += count * width;
      return bool(status);
    };
    TensorSpec spec;
    spec.name = t.canonical;
    spec.shape = t.shape;
    spec.numel = t.numel;
    const uint64_t hs = t.rotary_head_size, block = hs * cols;
    auto got = w.values(spec, [&](uint64_t, const float* v, size_t count) {
      if (hs == 0) return put(v, count);
      // Meta -> Hugging Face, head by head: stored row h*hs + k*hs/2 + i is canonical
      // row h*hs + 2i + k.
      for (size_t i = 0; i < count; ++i) {
        head.push_back(v[i]);
        if (head.size() < block) continue;
        std::vector<float> perm(block);
        for (uint64_t r = 0; r < hs; ++r) {
          const uint64_t src = 2 * (r % (hs / 2)) + r / (hs / 2);
          std::copy_n(head.data() + src * cols, cols, perm.data() + r * cols);
        }
        head.clear();
        if (!put(perm.data(), perm.size())) return false;
      }
      return true;
    });
    if (!got) return got.error();
    if (!status) return status.error();
    if (*got != t.numel || !head.empty())
      return Error{
          ErrorCode::write_source,
          t.canonical + ": source gave " + std::to_string(*got) + " values, the file needs " + std::to_string(t.numel),
          {}};
  }
  return plan.file_bytes();
}

std::string hf_config_json(const ModelConfig& c, DType dtype) {
  nlohmann::json j = {
      {"architectures", {"LlamaForCausalLM"}},
      {"attention_bias", false},
      {"attention_dropout", 0.0},
      {"bos_token_id", 1},
      {"eos_token_id", 2},
      {"hidden_act", "silu"},
      {"hidden_size", c.dim},
      {"initializer_range", 0.02},
      {"intermediate_size", c.hidden_dim},
      {"max_position_embeddings", c.seq_len},
      {"model_type", "llama"},
      {"num_attention_heads", c.n_heads},
      {"num_hidden_layers", c.n_layers},
      {"num_key_value_heads", c.n_kv_heads},
      {"pretraining_tp", 1},
      {"rms_norm_eps", 1e-05},
      {"rope_scaling", nullptr},
      {"rope_theta", 10000.0},
      {"tie_word_embeddings", c.shared_classifier},
      {"torch_dtype", dtype == DType::bf16  ? "bfloat16"
                      : dtype == DType::f16 ? "float16"
                                            : "float32"},
      {"transformers_version", "4.40.2"},
      {"use_cache", true},
      {"vocab_size", c.vocab_size},
  };
  return j.dump(2) + "\n";  // std::map keys: sorted, as json.dumps(sort_keys=True)
}

HfFolderPlan plan_hf_folder(const ModelConfig& c, const HfFolderOptions& opt) {
  HfFolderPlan out;
  out.config_json = hf_config_json(c, opt.dtype);
  // The state_dict order: the table's order, layer by layer; a tied classifier is not saved.
  std::map<std::string, TensorSpec> canonical;
  for (auto& t : canonical_llama_tensors(c)) canonical.emplace(t.name, t);
  std::vector<OutTensor> state;
  auto add = [&](const HfParam& p, int64_t layer) {
    auto fill = [&](std::string_view s) {
      std::string x(s);
      if (auto at = x.find("{i}"); at != std::string::npos) x.replace(at, 3, std::to_string(layer));
      return x;
    };
    auto it = canonical.find(fill(p.canonical));
    if (it == canonical.end()) return;  // output.weight of a shared classifier
    const uint64_t hs = p.rotary == Rotary::none ? 0 : uint64_t(c.head_size());
    state.push_back({fill(p.hf), it->first, opt.dtype, it->second.shape, it->second.numel, hs});
  };
  add(kHfLlamaParams[0], -1);
  for (int64_t l = 0; l < c.n_layers; ++l)
    for (size_t k = 1; k < 10; ++k) add(kHfLlamaParams[k], l);
  add(kHfLlamaParams[10], -1);
  add(kHfLlamaParams[11], -1);
  // transformers' shard_checkpoint: a new shard when the next tensor would tip the
  // current one over the limit, never an empty shard.
  std::vector<std::vector<OutTensor>> shards(1);
  uint64_t size = 0, total = 0;
  for (auto& t : state) {
    const uint64_t bytes = t.numel * dtype_width(t.dtype);
    if (size + bytes > opt.max_shard_bytes && !shards.back().empty()) shards.emplace_back(), size = 0;
    shards.back().push_back(t);
    size += bytes;
    total += bytes;
  }
  const std::map<std::string, std::string> meta{{"format", "pt"}};
  if (shards.size() == 1) {
    out.files.push_back({"model.safetensors", plan_file(std::move(shards[0]), meta)});
    return out;
  }
  nlohmann::json weight_map = nlohmann::json::object();
  for (size_t i = 0; i < shards.size(); ++i) {
    const std::string name = fmt::format("model-{:05d}-of-{:05d}.safetensors", i + 1, shards.size());
    for (const auto& t : shards[i]) weight_map[t.name] = name;
    out.files.push_back({name, plan_file(std::move(shards[i]), meta)});
  }
  out.index_json = nlohmann::json{{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}}.dump(2) + "\n";
  return out;
}

}  // namespace ckpt::safetensors
