#pragma once
// A safetensors file read into a checkpoint under construction: its header checked
// (safetensors.* findings), its tensors appended as raw placements of their bytes.
#include <string>

#include "ckpt/checkpoint.hpp"
#include "hf_data.hpp"

namespace ckpt::safetensors {

// Whether the bytes start like a safetensors file: a header length that fits in the file
// and a header starting with '{'. Reads 9 bytes.
bool looks_like_safetensors(const ByteSource& src);

// The element type of a header dtype ("F32", "BF16", ...); opaque for the ones ckpt
// cannot convert to fp32 (F8_*, F4, complex ...).
DType dtype_of_safetensors(std::string_view dtype);

// Reads cp.sources[source] (already there) as a safetensors file named `name` in its
// folder ("" alone), appending its tensors and its findings (messages name the file when
// it is part of a folder). Fails only when no tensor can be listed.
Result<SafetensorsFile> add_safetensors_file(Checkpoint& cp, uint32_t source, const std::string& name,
                                             const OpenOptions& opt);

}  // namespace ckpt::safetensors
