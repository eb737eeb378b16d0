#pragma once
// Maps a byte offset of a file to what lives there: a header field, header padding, a
// tensor element (fp32 value, int8 value or Q8_0 scale), trailing bytes, or nothing.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ckpt/checkpoint.hpp"

namespace ckpt {

// msgpack_entry: bytes of a tt-train msgpack key/value that are not tensor elements
// (the key, the [variant, payload] header, a shape, a metadata value).
enum class RegionKind {
  header_field,
  header_padding,
  tensor_data,
  tensor_scale,
  trailing,
  past_end,
  unmapped,
  msgpack_entry,
  container,  // structure of a container format (a zip header, a pickle): field names it, part says what
};
std::string_view region_kind_name(RegionKind k);

struct Location {
  uint64_t offset = 0;
  RegionKind kind = RegionKind::unmapped;
  std::string field;             // header field name (header_field), msgpack key (msgpack_entry)
  std::string tensor;            // canonical tensor name (tensor_data, tensor_scale)
  std::string part;              // "f32", "int8" or "scale"; msgpack: the element type or the entry part
  uint64_t element = 0;          // flat element index (for a scale: its group's first element)
  std::vector<uint64_t> index;   // the same index, multi-dimensional
  uint64_t group = 0;            // Q8_0 group of the element or scale
  uint32_t byte_in_element = 0;  // which byte of a multi-byte value
  uint64_t region_start = 0, region_length = 0;  // the field, element or scale's bytes
  bool beyond_file = false;                      // the layout places something here but the file ends before
  std::optional<double> value;                   // the number stored at the location, when it is one and present
  std::string file;  // folders: the file of the folder the offset is in ("" for a lone file)
  // Other tensors whose bytes these are too (tied weights share one storage), with the
  // element each sees there.
  std::vector<std::pair<std::string, uint64_t>> shared_with;
};

// Unravels a flat row-major index into a multi-dimensional one.
std::vector<uint64_t> unravel(uint64_t flat, const std::vector<uint64_t>& shape);

// Says what the byte at `offset` of the input is, as its family reads it. Offsets past
// the file end are still mapped to what the layout would hold there (beyond_file is set).
// When the byte is part of a stored number, `value` holds that number.
Location locate(const Checkpoint& cp, uint64_t offset);

// The same for a folder input: the byte at `offset` of its file `source` (an index into
// Checkpoint::sources below file_count). Location::file names that file.
Location locate_in_file(const Checkpoint& cp, size_t source, uint64_t offset);

// The generic mapping of families with raw placements: header fields, header padding,
// tensor data and scales, trailing bytes (used by families as their default).
Location locate_placements(const Checkpoint& cp, uint64_t offset);

}  // namespace ckpt
