#pragma once
// What the PyTorch family keeps about a checkpoint beside the common model: each
// torch.save file read (its zip directory, pickles, tensors and strided views), and for a
// Meta folder its params.json.
#include <string>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "torch_file.hpp"

namespace ckpt::torch {

struct TorchData final : FamilyData {
  std::vector<TorchFile> files;
  std::string params_json;  // Meta folders
};

inline const TorchData* torch_data(const Checkpoint& cp) { return cp.data_as<TorchData>(); }

}  // namespace ckpt::torch
