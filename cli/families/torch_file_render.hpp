#pragma once
// One torch.save file (zip or legacy) rendered for `ckpt inspect`: its container records,
// the pickle's non-tensor contents and every global it imports. Shared by the torch
// renderer (a file, a Meta folder's shards) and the safetensors one (pytorch_model*.bin
// shards of a Hugging Face folder).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "torch/torch_file.hpp"

namespace ckpt::cli {

// The text sections of file f; `name` is the file's name in its folder ("" for the input).
std::string torch_file_text(const Checkpoint& cp, const torch::TorchFile& f, const std::string& name);

// The JSON object of file f (members documented in README, "torch" in the inspect JSON).
nlohmann::json torch_file_json(const Checkpoint& cp, const torch::TorchFile& f, const std::string& name);

// What the pickle says of stored tensor t when one of `files` holds it (storage key and
// member, storage offset, stride, ...), else null.
nlohmann::json torch_tensor_json(const Checkpoint& cp, const std::vector<torch::TorchFile>& files, const TensorInfo& t);

// The name of source i of a folder checkpoint (its file name), "" for a lone file.
std::string source_file_name(const Checkpoint& cp, uint32_t source);

}  // namespace ckpt::cli
