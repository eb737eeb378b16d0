#pragma once
// The safetensors family: safetensors files, and Hugging Face Llama folders
// (config.json + safetensors or pytorch_model*.bin shards, with an index when sharded).
#include <string_view>

#include "ckpt/format.hpp"

namespace ckpt::safetensors {

inline constexpr std::string_view kFileTags[] = {"safetensors", "scan", "mapped", "weights"};
inline constexpr std::string_view kHfTags[] = {"safetensors", "folder", "scan", "weights", "hf"};

inline constexpr FormatInfo kFileInfo{"safetensors", "safetensors",
                                      "a safetensors file: JSON header, then the tensors' bytes", kFileTags};
inline constexpr FormatInfo kHfInfo{
    "hf-llama", "safetensors", "a Hugging Face Llama folder: config.json and safetensors (or pytorch_model.bin) files",
    kHfTags};

inline constexpr Format safetensors_file{kFileInfo};
inline constexpr Format hf_folder{kHfInfo};

}  // namespace ckpt::safetensors
