#pragma once
// What every family says about one tensor: its canonical name, element type and shape
// (TensorSpec), where its bytes are (Placement) and whether the file holds them all
// (TensorInfo). Families fill these; commands read them without knowing the format.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

// Element types as stored. Every type streams as fp32 (tensor_stream.hpp): floats are
// widened or narrowed to fp32 (f64 rounds), integers and booleans converted. bfp8_b and
// bfp4_b are Tenstorrent's block floats (a shared exponent per 16 values, 7- or 3-bit
// magnitudes; tiled tensors only): their family decodes them.
enum class DType { f32, q8_0, bf16, u32, f16, f64, i8, i16, i32, i64, u8, u16, u64, boolean, opaque, bfp8_b, bfp4_b };
// opaque: elements ckpt does not convert to fp32 (complex, quantized, float8): listed,
// located and hashed as stored, never streamed as values.
std::string_view dtype_name(DType d);
// Bytes per element of a type stored element by element; 0 for Q8_0 (int8 + scales) and
// the block floats.
uint32_t dtype_width(DType d);
// Floating-point types: the ones whose values are weights.
bool dtype_is_float(DType d);

// v0's RoPE tables (freqs_cos, freqs_sin): derived data, not weights. Writers compute
// them, conversions and hashes of values leave them out, parameter counts skip them.
inline bool is_rope_table(std::string_view name) { return name == "freqs_cos" || name == "freqs_sin"; }

struct TensorSpec {
  std::string name;  // canonical name, e.g. "layers.3.attention.wq.weight"
  DType dtype = DType::f32;
  std::vector<uint64_t> shape;
  uint64_t numel = 0;
};

// How the bytes at a Placement hold the values. raw: contiguous little-endian elements of
// the dtype (Q8_0: int8 data, fp32 scales at scale_offset), which generic code decodes at
// any element; encoded: only the family can decode them, front to back (msgpack arrays).
enum class Storage { raw, encoded };

struct Placement {
  uint32_t source = 0;  // which of the checkpoint's files holds the bytes
  Storage storage = Storage::raw;
  uint64_t offset = 0;        // first byte of the data (fp32 values or int8 values)
  uint64_t nbytes = 0;        // bytes of the data
  uint64_t scale_offset = 0;  // Q8_0 only: first byte of the fp32 scales
  uint64_t scale_nbytes = 0;  // Q8_0 only, 0 otherwise
};

enum class TensorStatus { complete, truncated, missing };
std::string_view tensor_status_name(TensorStatus s);

struct TensorInfo {
  TensorSpec spec;
  Placement place;
  TensorStatus status = TensorStatus::complete;
  // Bytes of data and of scales actually inside the file (equal to nbytes when complete).
  uint64_t data_available = 0;
  uint64_t scale_available = 0;
  // For truncated tensors: the file offset where the bytes stop (the file size).
  std::optional<uint64_t> truncated_at;
};

}  // namespace ckpt
