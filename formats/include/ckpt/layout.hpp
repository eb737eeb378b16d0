#pragma once
// The declarative description of every llama2.c layout: the header fields and the
// ordered tensors with dtype and shape as functions of the config. The reader, the
// expected-size formula, the writer and `--at` all derive from these tables, so they
// cannot disagree.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/config.hpp"
#include "ckpt/format.hpp"
#include "ckpt/result.hpp"

namespace ckpt {

// A model with more layers than this is not a file anyone has (the largest have about
// 130): the layouts refuse it, so that a hostile header cannot size the tensor table
// (9 entries per layer), and validate reports it (header.value).
constexpr int64_t kMaxLayers = 1024;

// v0's RoPE tables (freqs_cos, freqs_sin): derived data, not weights. Writers compute
// them, conversions and hashes of values leave them out, parameter counts skip them.
inline bool is_rope_table(std::string_view name) { return name == "freqs_cos" || name == "freqs_sin"; }

enum class DType { f32, q8_0, bf16, u32 };
std::string_view dtype_name(DType d);

enum class FieldType { u32, i32, u8 };

struct HeaderFieldSpec {
  std::string name;  // "magic", "version", "dim", ..., "shared_classifier", "group_size"
  uint64_t offset;
  uint32_t size;
  FieldType type;
};

// The header fields of a format, in file order. Empty for formats without a fixed header.
const std::vector<HeaderFieldSpec>& header_fields(Format f);
// Bytes before the payload: 28 for v0, 256 for ak42.
uint64_t header_size(Format f);

struct TensorSpec {
  std::string name;  // canonical name, e.g. "layers.3.attention.wq.weight"
  DType dtype = DType::f32;
  std::vector<uint64_t> shape;
  uint64_t numel = 0;
};

struct Placement {
  uint64_t offset = 0;        // first byte of the data (fp32 values or int8 values)
  uint64_t nbytes = 0;        // bytes of the data
  uint64_t scale_offset = 0;  // Q8_0 only: first byte of the fp32 scales
  uint64_t scale_nbytes = 0;  // Q8_0 only, 0 otherwise
};

struct Layout {
  Format format = Format::unknown;
  std::vector<TensorSpec> tensors;  // file order of the data (scales may come later)
  std::vector<Placement> places;    // parallel to tensors
  uint64_t payload_offset = 0;
  uint64_t total_size = 0;  // the exact size a well-formed file has
};

// The tensors a format stores for a config, in file order, without byte positions.
// Fails (code "layout.config") when the config cannot describe any file: non-positive
// sizes, n_heads = 0, more than 1024 layers, a non-positive group size. A group size
// that does not divide a tensor is laid out as runq.c reads it (floor(numel/GS) scales);
// validate reports it.
Result<std::vector<TensorSpec>> tensor_specs(Format f, const ModelConfig& c);

// The full layout with byte positions. Every size uses checked 64-bit arithmetic: a
// hostile config fails with code "layout.overflow" instead of wrapping.
Result<Layout> build_layout(Format f, const ModelConfig& c);

}  // namespace ckpt
