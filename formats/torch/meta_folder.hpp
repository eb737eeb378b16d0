#pragma once
// Meta Llama folders: params.json and consolidated.NN.pth model-parallel shards. Each
// canonical tensor is the concatenation of its shards along Meta's model-parallel axis
// (columns for tok_embeddings, wo and w2, rows for the other matrices); vectors are
// replicated in every shard.
#include <optional>

#include "ckpt/folder.hpp"
#include "core/family.hpp"
#include "torch_data.hpp"

namespace ckpt::torch {

// The shard files of a Meta folder, in order, or nothing when it is not one.
std::vector<std::string> meta_shards(const Folder& dir);

// Opens the folder: every shard read as a torch.save file (tensors named
// "consolidated.NN/<name>"), params.json's config checked against the tensors, shards
// checked against each other (meta.* findings).
Result<Checkpoint> open_meta_folder(const Folder& dir, const OpenOptions& opt);

// The canonical views of a Meta folder: shards concatenated, replicas read from the first.
std::vector<CanonicalView> meta_views(const Checkpoint& cp);

// Meta's model-parallel axis of a canonical tensor: 1 (columns) or 0 (rows); -1 for
// vectors, which every shard holds whole.
int meta_axis(const std::string& canonical, size_t rank);

}  // namespace ckpt::torch
