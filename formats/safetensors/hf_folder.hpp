#pragma once
// Hugging Face Llama folders: config.json and the weights in model.safetensors,
// model-NNNNN-of-NNNNN.safetensors with model.safetensors.index.json, pytorch_model.bin,
// or pytorch_model-NNNNN-of-NNNNN.bin with pytorch_model.bin.index.json. Names are
// mapped to the canonical ones; q_proj and k_proj are read back out of the rotary
// layout with the head size from config.json.
#include <string>
#include <vector>

#include "ckpt/folder.hpp"
#include "core/family.hpp"

namespace ckpt::safetensors {

struct HfFiles {
  std::vector<std::string> weights;  // in index order (then by name)
  bool torch = false;                // pytorch_model*.bin rather than safetensors
  std::string index;                 // the index file's name, "" when there is none
};

// The weight files of a Hugging Face folder (config.json present), or nothing.
HfFiles hf_files(const Folder& dir);

// Opens the folder: every weight file read, config.json's config checked against the
// tensors (hf.config), the index against the files (hf.index), every Llama parameter the
// config implies present (hf.missing).
Result<Checkpoint> open_hf_folder(const Folder& dir, const OpenOptions& opt);

// The canonical views of a folder or of a lone safetensors file: Hugging Face names
// mapped, q/k rotary layout undone when the head size is known.
std::vector<CanonicalView> hf_views(const Checkpoint& cp, uint64_t head_size);

}  // namespace ckpt::safetensors
