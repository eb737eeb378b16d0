#pragma once
// The PyTorch family: torch.save files (the zip format since torch 1.6, and the legacy
// format before it) and Meta's model folders (params.json + consolidated.NN.pth).
#include <string_view>

#include "ckpt/format.hpp"

namespace ckpt::torch {

inline constexpr std::string_view kZipTags[] = {"torch", "pickle", "scan", "weights", "training_state"};
inline constexpr std::string_view kLegacyTags[] = {"torch", "pickle", "scan", "weights", "training_state"};
inline constexpr std::string_view kMetaTags[] = {"torch", "pickle", "meta", "folder", "scan", "weights"};

inline constexpr std::string_view kPickleTags[] = {"torch", "pickle"};

inline constexpr FormatInfo kZipInfo{
    "torch-zip", "torch", "torch.save's zip format (torch >= 1.6): data.pkl and one member per storage", kZipTags};
inline constexpr FormatInfo kLegacyInfo{"torch-legacy", "torch",
                                        "torch.save's legacy format: five pickles, then the storages", kLegacyTags};
inline constexpr FormatInfo kMetaInfo{
    "meta-llama", "torch", "a Meta Llama folder: params.json and consolidated.NN.pth model-parallel shards", kMetaTags};

inline constexpr FormatInfo kPickleInfo{
    "pickle", "torch", "a bare Python pickle (.pkl): read by the restricted unpickler, its globals judged",
    kPickleTags};

inline constexpr Format zip_file{kZipInfo};
inline constexpr Format pickle_file{kPickleInfo};
inline constexpr Format legacy_file{kLegacyInfo};
inline constexpr Format meta_folder{kMetaInfo};

}  // namespace ckpt::torch
