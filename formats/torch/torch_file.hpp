#pragma once
// A torch.save file (zip or legacy) read into a checkpoint under construction: its
// tensors appended with placements in the checkpoint's sources, its findings appended,
// and what inspect and locate need kept. Used for a single file, for each shard of a Meta
// folder, and for the pytorch_model*.bin files of a Hugging Face folder.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "ckpt/tensor_stream.hpp"
#include "legacy_torch.hpp"
#include "torch_checkpoint.hpp"

namespace ckpt::torch {

// How one stored tensor's values are reached when they are not a plain raw range (strided
// views of a storage), for the family's stream.
struct StridedTensor {
  size_t tensor = 0;            // index into Checkpoint::tensors
  uint32_t source = 0;          // the storage's source
  uint64_t storage_offset = 0;  // first byte of the storage in that source
  uint64_t storage_bytes = 0;
  TorchDType dtype = TorchDType::unknown;
  std::vector<uint64_t> shape, stride;
  uint64_t element_offset = 0;  // the tensor's storage_offset, in elements
};

struct TorchFile {
  uint32_t source = 0;      // the file's index in Checkpoint::sources
  std::string prefix;       // prepended to every tensor path ("" for a single file)
  size_t first_tensor = 0;  // its tensors in Checkpoint::tensors
  size_t tensor_count = 0;
  std::variant<TorchZipCheckpoint, LegacyCheckpoint> read;
  std::vector<StridedTensor> strided;
  const TorchModel& model() const;
  bool is_zip() const { return read.index() == 0; }
};

// Whether the bytes start like a torch.save file: a zip whose central directory names a
// <folder>/data.pkl, or the legacy magic pickle. Reads the end records and directory only.
bool looks_like_torch_zip(const ByteSource& src);

// Reads cp.sources[source] (already there) as a torch.save file, appending its tensors
// (named prefix + path), any member sources (deflated storages), and its findings.
// Fails only when the file cannot be read as one at all.
Result<TorchFile> add_torch_file(Checkpoint& cp, uint32_t source, const std::string& prefix, bool legacy,
                                 const OpenOptions& opt);

// Streams stored tensor `tensor` of cp when one of `files` holds it as a strided view
// (fp32 chunks, in the tensor's row-major order); nullopt when none does.
std::optional<Result<uint64_t>> stream_strided(const Checkpoint& cp, const std::vector<TorchFile>& files, size_t tensor,
                                               const ckpt::F32Sink& sink, size_t chunk_elems);

// The CRC-32 and size of every zip member of `files` against the central directory
// (zip.crc_mismatch, zip.size_mismatch, zip.inflate_error), each file streamed once;
// messages name the file when the checkpoint has several.
void verify_files(const Checkpoint& cp, const std::vector<TorchFile>& files, std::vector<Finding>& out);

// The config train.py's checkpoint stores in model_args (with where each value came
// from), when it has one. hidden_dim comes from w1's shape.
void config_from_model_args(Checkpoint& cp, const TorchFile& f);

}  // namespace ckpt::torch
