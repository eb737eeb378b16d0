#pragma once
// Tensor elements to fp32: a contiguous run, or a strided view gathered in bounded
// chunks. Floating types convert exactly (f16 and bf16 through Eigen::half and
// Eigen::bfloat16, f64 rounds to nearest); integers and bool become their value as a
// float (exact up to 2^24). Complex, quantized and float8 elements have no fp32 form here.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "ckpt/byte_source.hpp"
#include "ckpt/result.hpp"
#include "torch_dtype.hpp"

namespace ckpt::torch {

bool decodable_to_f32(TorchDType t);

// Converts count little-endian elements of type t at src. False (dst untouched) when t
// has no fp32 conversion.
bool decode_to_f32(TorchDType t, const uint8_t* src, size_t count, float* dst);

// Where a storage's bytes are: a source and the storage's byte range in it.
struct StorageBytes {
  const ByteSource* source = nullptr;
  uint64_t offset = 0;  // first byte of the storage
  uint64_t nbytes = 0;  // bytes the storage holds
};

// Reads count elements starting at element first of the storage. Fails with
// decode.dtype or decode.range (the run is not inside the storage or the source).
Result<uint64_t> read_f32(const StorageBytes& storage, TorchDType t, uint64_t first, uint64_t count, float* dst);

// Receives the values in row-major order, at most chunk values a call; false stops.
using F32Sink = std::function<bool(const float* values, size_t n)>;

// Visits every element of the view (shape, stride, storage_offset in elements) in
// row-major order. Reads whole rows when they are contiguous, else gathers each row from
// one bounded read of the span it covers (or element by element when that span is
// larger than 4 MiB). Fails with decode.dtype or decode.range before any element that
// lies outside the storage; returns the number of values delivered.
Result<uint64_t> gather_f32(const StorageBytes& storage, TorchDType t, std::span<const uint64_t> shape,
                            std::span<const uint64_t> stride, uint64_t storage_offset, const F32Sink& sink,
                            size_t chunk = 1u << 16);

}  // namespace ckpt::torch
