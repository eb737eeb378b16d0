#pragma once
// Every cap a reader applies to numbers it takes from a file, in one place. A file that
// needs more is a finding, never an allocation. The defaults hold every real file we know
// of with room to spare; fuzzing tightens them (OpenOptions::limits).
#include <cstddef>
#include <cstdint>

namespace ckpt {

struct OpenLimits {
  // Layers of a model: the largest real ones have about 130. A hostile header must not
  // size the tensor table (9 entries per layer).
  int64_t max_layers = 1024;
  // Q8_0 group size a stream reads as one unit: no exporter uses more than 64.
  int64_t max_group_size = int64_t(1) << 20;
  // A tokenizer.bin is read whole to decide what it is: 32000 tokens take 434 KB.
  uint64_t max_tokenizer_bytes = uint64_t(64) << 20;
  // Longest single token a tokenizer may declare.
  int64_t max_token_length = int64_t(1) << 16;
  // tt-train msgpack: keys in the top-level map (real files have about 20 k), bytes of
  // one key, and container nesting (tt-train nests 3 deep, msgpack_numpy 5).
  uint64_t max_msgpack_entries = uint64_t(1) << 17;
  uint64_t max_msgpack_key_bytes = 64 * 1024;
  size_t max_msgpack_depth = 32;
  // Files listed in a folder given as an input (a 70B Hugging Face folder has about 30).
  size_t max_folder_entries = 65536;
  // Bytes of a folder's small config files (params.json, config.json, *.index.json).
  uint64_t max_config_bytes = uint64_t(64) << 20;
  // tt-train flatbuffer checkpoints: bytes of one flatbuffer read whole to verify it (a
  // metadata.flatbuffer, a .tensorbin header: real ones are kilobytes), metadata pairs,
  // shard records of one .tensorbin (a 32x32 mesh has 1024), tensor rank, and tar members.
  uint64_t max_flatbuffer_bytes = uint64_t(64) << 20;
  uint64_t max_metadata_pairs = uint64_t(1) << 20;
  uint64_t max_tensorbin_shards = uint64_t(1) << 16;
  size_t max_tensor_rank = 8;
  uint64_t max_tar_members = uint64_t(1) << 20;
  // tt-train pickle checkpoints: tensors a manifest (or a model_state dict) may declare.
  uint64_t max_pickle_tensors = uint64_t(1) << 20;
};

}  // namespace ckpt
