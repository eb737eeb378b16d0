#pragma once
// What the tt-train flatbuffer readers record beside the common tensor table: the
// container (a checkpoint folder, its metadata file alone, one .tensorbin, a tar), the
// metadata pairs, and per tensor its file, its .tensorbin header and how its shards make
// the tensor. docs/tt-train/FORMATS-tt-train.md sections 3 to 5 and 8.
#include <optional>
#include <string>
#include <vector>

#include "fb_metadata.hpp"
#include "model_names.hpp"
#include "tar.hpp"
#include "tensorbin.hpp"
#include "tensorbin_stream.hpp"

namespace ckpt::ttml {

enum class FbContainer { folder, metadata_file, tensorbin, tar };
std::string_view fb_container_name(FbContainer c);

struct FbTensor {
  std::string key;    // the metadata key naming the file (".../value"); the file's name for a lone .tensorbin
  std::string file;   // the .tensorbin's name in the folder or the tar
  size_t source = 0;  // Checkpoint::sources index holding it
  bool present = false;
  TensorbinHeader header;
  ShardGrid grid;
  // What the metadata says about it (tt-train writes these beside the file name).
  std::optional<std::vector<uint64_t>> meta_shape;
  int64_t meta_data_type = -1, meta_layout = -1, meta_storage = -1;
  std::optional<bool> requires_grads, has_grads;
  uint64_t pair_offset = 0;  // the metadata pair naming the file (0 for a lone .tensorbin)
};

struct FbInfo final : TtmlModel {
  FbContainer container = FbContainer::folder;
  std::string metadata_name;     // the metadata file or tar member ("" when there is none)
  uint64_t metadata_offset = 0;  // where it starts in source 0 (a tar member's data)
  uint64_t metadata_size = 0;
  Metadata metadata;                 // schema and pairs
  std::vector<FbTensor> tensors;     // parallel to Checkpoint::tensors
  TarIndex tar;                      // tar containers
  std::vector<std::string> orphans;  // .tensorbin files no key names

  // The record of a tensor of the checkpoint this info belongs to, or nullptr.
  const FbTensor* tensor_of(const Checkpoint& cp, const TensorInfo& t) const;
};

inline const FbInfo* fb_info_of(const Checkpoint& cp) { return cp.data_as<FbInfo>(); }

}  // namespace ckpt::ttml
