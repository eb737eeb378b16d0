#pragma once
// Writing safetensors files exactly as the safetensors library does, and Hugging Face
// Llama folders (config.json, model.safetensors or shards with their index) as
// transformers' save_pretrained does, from canonical tensors.
#include <map>
#include <string>
#include <vector>

#include "ckpt/byte_sink.hpp"
#include "ckpt/config.hpp"
#include "ckpt/weights.hpp"
#include "hf_names.hpp"

namespace ckpt::safetensors {

// One tensor of a file: its name there, the canonical tensor its values come from, and
// how they are stored.
struct OutTensor {
  std::string name;
  std::string canonical;
  DType dtype = DType::f32;  // f32, bf16 or f16
  std::vector<uint64_t> shape;
  uint64_t numel = 0;
  uint64_t rotary_head_size = 0;  // > 0: rows written in Hugging Face's rotary layout
};

// The bytes before the data and where each tensor's data goes: tensors sorted as the
// library sorts them (dtype, then name), the header JSON compact with __metadata__ first,
// padded with spaces to a multiple of 8.
struct FilePlan {
  std::vector<OutTensor> tensors;  // data order
  std::vector<uint64_t> begin;     // data_offsets[0] of each, relative to the data
  std::string header;              // the JSON, padded
  uint64_t data_bytes = 0;
  uint64_t file_bytes() const { return 8 + header.size() + data_bytes; }
};
FilePlan plan_file(std::vector<OutTensor> tensors, const std::map<std::string, std::string>& metadata);

// Writes a planned file from the weights (converted to each tensor's dtype with
// round-to-nearest-even, rows permuted for rotary tensors one head at a time). Fails
// with the source's or the sink's error.
Result<uint64_t> write_file(ByteSink& out, const FilePlan& plan, const WeightSource& w);

struct HfFolderOptions {
  DType dtype = DType::f32;
  uint64_t max_shard_bytes = 5000000000ull;  // transformers' default "5GB"
};

// The files of a Hugging Face Llama folder for a config: config.json text, the
// safetensors files' plans (one, or shards named model-0000K-of-0000N.safetensors split
// as transformers splits them), and the index JSON when sharded.
struct HfFolderPlan {
  std::string config_json;
  std::vector<std::pair<std::string, FilePlan>> files;
  std::string index_json;  // empty when not sharded
};
HfFolderPlan plan_hf_folder(const ModelConfig& c, const HfFolderOptions& opt);

// The config.json transformers 4.40's LlamaConfig.save_pretrained writes for c.
std::string hf_config_json(const ModelConfig& c, DType dtype);

}  // namespace ckpt::safetensors
