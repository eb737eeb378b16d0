#pragma once
// The canonical names of tensors in PyTorch checkpoints: llama2.c train.py's
// ("model/" + model.py's state_dict names, with torch.compile's "_orig_mod." prefix),
// Meta's (already canonical), and Hugging Face's (through the safetensors family's table).
#include <optional>
#include <string>
#include <string_view>

namespace ckpt::torch {

// The canonical name of a stored tensor path, or nullopt when it is not a Llama weight
// (optimizer state, buffers such as attention masks and rope.freqs, other models).
// hf is set when the name is Hugging Face's (its q/k rows are in the rotary halves layout).
struct CanonicalName {
  std::string name;
  bool hf = false;
  bool rotary = false;  // a Hugging Face q_proj or k_proj
};
std::optional<CanonicalName> canonical_name(std::string_view path);

// True for a name of FORMATS.md's canonical table.
bool is_canonical_llama_name(std::string_view name);

}  // namespace ckpt::torch
