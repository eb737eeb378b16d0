#pragma once
// ttnn's .tensorbin (dump_tensor_flatbuffer): u64 header_size, a flatbuffer header
// (ttnn.flatbuffer.Tensor: spec, mesh shape, shard records, topology), then the shard
// buffers. This header reads the flatbuffer (never the data) and describes how one
// shard's bytes hold its elements: row-major or 32x32 tiles of four 16x16 faces, plain
// elements or block floats. docs/tt-train/FORMATS-tt-train.md section 5.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/finding.hpp"
#include "ckpt/limits.hpp"
#include "ckpt/tensor.hpp"

namespace ckpt::ttml {

// tt::tt_metal::DataType, as tensor_spec.fbs and tt-train's metadata number it.
enum class TtDType : uint8_t {
  bfloat16 = 0,
  float32 = 1,
  uint32 = 2,
  bfloat8_b = 3,
  bfloat4_b = 4,
  uint8 = 5,
  uint16 = 6,
  int32 = 7,
};
constexpr int kTtDTypeCount = 8;
std::string_view tt_dtype_name(int64_t v);  // "BFLOAT16", ..., "?" for unknown values
DType to_dtype(TtDType d);
// Bytes of one element stored plainly; 0 for the block floats.
uint32_t element_bytes(TtDType d);
// Bytes of one 32x32 tile (block floats: 64 exponent bytes, then the codes).
uint32_t tile_bytes(TtDType d);
bool is_block_float(TtDType d);

constexpr uint64_t kTile = 32, kFace = 16;

// How one shard's bytes hold its elements. Matrices: every dim before the last two is a
// "slice" (rank 1 is one row, rank 0 one element).
struct ShardGeometry {
  TtDType dtype = TtDType::bfloat16;
  bool tile = false;
  std::vector<uint64_t> shape;                // logical
  std::vector<uint64_t> padded;               // what the bytes hold
  uint64_t slices = 1, rows = 1, cols = 1;    // logical: slices x rows x cols
  uint64_t padded_rows = 1, padded_cols = 1;  // the bytes' matrix
  uint64_t numel = 0;                         // logical elements
  uint64_t bytes = 0;                         // the shard's bytes

  uint64_t tiles_per_row() const { return padded_cols / kTile; }
  uint64_t tile_rows() const { return padded_rows / kTile; }
  uint64_t tiles_per_slice() const { return tiles_per_row() * tile_rows(); }
  // Byte (within the shard) of element (slice, r, c) of the padded matrix; for a 4-bit
  // block float, the byte holding its nibble.
  uint64_t byte_of(uint64_t slice, uint64_t r, uint64_t c) const;
  // Byte of the shared exponent of (slice, r, c) (block floats only).
  uint64_t exponent_byte_of(uint64_t slice, uint64_t r, uint64_t c) const;
};

// What a byte of a shard is, for locate: an element (with its padded coordinates, tile,
// face, whether it is padding) or a shared exponent.
struct ShardByte {
  bool exponent = false;                 // a block float's shared exponent byte
  bool padding = false;                  // the element lies outside the logical shape
  uint64_t slice = 0, row = 0, col = 0;  // padded coordinates (exponent: first element of its face row)
  uint64_t tile = 0;                     // tile index within the shard (tiled only)
  uint32_t face = 0, face_row = 0, face_col = 0;
  uint32_t byte_in_element = 0, element_bytes = 1;
  uint64_t start = 0;  // first byte of the element (or exponent) within the shard
};
ShardByte shard_byte(const ShardGeometry& g, uint64_t byte);

struct TensorbinShard {
  uint64_t offset = 0, size = 0;  // within the data region
  bool has_buffer = false;
  std::vector<uint32_t> coord;  // mesh coordinate
  uint64_t record_offset = 0;   // absolute offset of the shard's table (for findings)
};

struct MeshPlacement {
  uint8_t type = 0;  // 0 Replicate, 1 Shard
  int32_t tensor_dim = -1;
};

struct TensorbinHeader {
  uint64_t base = 0;         // where the file starts in its source (a tar member's data)
  uint64_t file_size = 0;    // bytes of the file
  uint64_t header_size = 0;  // the u64 at byte 0
  uint64_t data_start = 0;   // absolute: base + 8 + header_size
  bool verified = false;     // the flatbuffer passed the flatbuffers Verifier
  bool identifier = false;   // "TTNB" at file bytes 12..15 (schema v1)
  uint32_t schema_version = 0;
  bool layout_2025_06 = false;  // the first multi-device header (tensor_type union)
  int64_t data_type = -1;       // raw value
  int page_config = 0;          // 1 row-major, 2 tile, 0 absent
  uint32_t tile_h = 0, tile_w = 0;
  bool transpose_tile = false;
  std::vector<uint64_t> shape;  // logical shape of one shard
  std::vector<uint32_t> alignment;
  uint16_t memory_layout = 0, buffer_type = 0;
  std::vector<uint32_t> mesh_shape;
  std::vector<TensorbinShard> shards;
  bool has_topology = false;
  std::vector<uint32_t> distribution_shape;
  std::vector<MeshPlacement> placements;
  std::vector<std::vector<uint32_t>> topology_coords;
  std::optional<ShardGeometry> geometry;  // set when the spec can be decoded
};

// The variant of the file, one line ("v0 (8-byte aligned)", "64-byte aligned",
// "schema v1 (TTNB)", "2025-06 header").
std::string tensorbin_variant(const TensorbinHeader& h);

// Reads the header of a .tensorbin at [base, base + size) of src: the u64 and the
// flatbuffer (at most limits.max_flatbuffer_bytes), never the data. Verifies it with
// the flatbuffers Verifier (the current tensor.fbs, then the 2025-06 one), bounds every
// count, and checks the spec and every shard record against the file. Problems are
// findings (flatbuffer.verify, tensorbin.*) with absolute offsets, about `subject`.
// Fails only on a read error.
Result<TensorbinHeader> read_tensorbin_header(const ByteSource& src, uint64_t base, uint64_t size,
                                              const OpenLimits& limits, const std::string& subject,
                                              std::vector<Finding>& findings);

// Detection: the u64 prefix is plausible and the header verifies (reads the header only).
// 2 with the TTNB identifier, 1 without, 0 when it is not a .tensorbin.
int probe_tensorbin(const ByteSource& src, uint64_t base, uint64_t size, const OpenLimits& limits);

}  // namespace ckpt::ttml
