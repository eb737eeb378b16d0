#pragma once
// The safetensors header: 8-byte little-endian length N, N bytes of UTF-8 JSON
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
// then the data region; a tensor's bytes are [8 + N + begin, 8 + N + end) of the file.
// Reads the header only (8 + N bytes, N capped at 100,000,000 like the reference).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/finding.hpp"
#include "ckpt/result.hpp"

namespace ckpt::safetensors {

struct SafetensorsLimits {
  uint64_t max_header = 100'000'000;  // the reference's MAX_HEADER_SIZE
  uint64_t max_tensors = 1u << 20;
  uint32_t max_rank = 64;
};

struct DTypeInfo {
  std::string_view name;  // as in the header: "F32", "BF16", "F8_E4M3", ...
  uint32_t bits = 0;      // bits per element (F4: 4, F6_*: 6)
};
// The format's dtypes (safetensors/src/tensor.rs Dtype); nullptr when unknown.
const DTypeInfo* find_dtype(std::string_view name);

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // as written
  uint32_t bits = 0;  // 0 when the dtype is unknown
  std::vector<uint64_t> shape;
  uint64_t begin = 0, end = 0;   // data_offsets, relative to the data region
  uint64_t absolute_offset = 0;  // 8 + header length + begin (saturates)
  bool valid = false;            // every field well-formed (checks below may still flag it)
};

struct SafetensorsHeader {
  uint64_t header_length = 0;
  uint64_t data_begin = 0;  // 8 + header_length
  std::vector<std::pair<std::string, std::string>> metadata;
  std::vector<SafetensorsEntry> tensors;  // in header order
  std::vector<Finding> findings;
};

// Fails with safetensors.too_small / header_too_large / header_length / header_utf8 /
// header_json when no entry can be listed; every per-tensor problem is a finding naming
// the tensor, at the absolute offset of its data (or of the header for field errors).
Result<SafetensorsHeader> read_safetensors_header(const ByteSource& src, const SafetensorsLimits& limits = {});

}  // namespace ckpt::safetensors
