#pragma once
// What the safetensors family keeps about a checkpoint beside the common model: the
// header of each safetensors file read (for inspect and locate), the torch.save files of
// a folder of pytorch_model*.bin shards, and a Hugging Face folder's config and index.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "safetensors_header.hpp"
#include "torch/torch_file.hpp"

namespace ckpt::safetensors {

struct SafetensorsFile {
  uint32_t source = 0;  // index in Checkpoint::sources
  std::string name;     // the file's name in its folder ("" for a lone file)
  SafetensorsHeader header;
};

struct HfData final : FamilyData {
  std::vector<SafetensorsFile> safetensors;
  std::vector<torch::TorchFile> torch_files;  // pytorch_model*.bin shards
  std::string config_json;
  std::string index_name;  // "model.safetensors.index.json", or "" when not sharded
  uint64_t head_size = 0;  // hidden_size / num_attention_heads, 0 when unknown
};

inline const HfData* hf_data(const Checkpoint& cp) { return cp.data_as<HfData>(); }

}  // namespace ckpt::safetensors
