#pragma once
// Streaming access to tensor values with bounded memory: any tensor as fp32 chunks
// (Q8_0 dequantized on the fly, other element types widened, encoded tensors decoded by
// their family), or a Q8_0 tensor as raw int8 + scales.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "ckpt/checkpoint.hpp"

namespace ckpt {

// Elements per chunk by default: 1 Mi floats (4 MiB), big enough to stream at memory
// bandwidth, small enough that two files side by side stay far below 256 MB.
constexpr size_t kDefaultChunkElems = size_t(1) << 20;

// Receives consecutive chunks: `first` is the flat index of values[0]. Returning false
// stops the stream early (the count returned is then what was delivered).
using F32Sink = std::function<bool(uint64_t first, const float* values, size_t n)>;

struct Q8Chunk {
  uint64_t first_group;
  size_t n_groups;
  size_t group_size;
  const int8_t* q;
  const float* scales;
};
using Q8Sink = std::function<bool(const Q8Chunk&)>;  // false stops early

// Elements of t present in the file that can be streamed: its complete prefix (for
// Q8_0, the groups whose int8 data and scale are both present; for an encoded tensor,
// all of it when complete, else none).
uint64_t streamable_elements(const Checkpoint& cp, const TensorInfo& t);

// Streams the fp32 values of `t` that are present in the file, in flat row-major order.
// Returns the number of elements streamed; fails with io_read when the file cannot be
// read.
Result<uint64_t> stream_f32(const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink,
                            size_t chunk_elems = kDefaultChunkElems);

// Streams a Q8_0 tensor's complete groups as raw int8 data and scales. Returns the
// number of groups streamed; fails with stream_dtype for a tensor that is not Q8_0.
Result<uint64_t> stream_q8(const Checkpoint& cp, const TensorInfo& t, const Q8Sink& sink,
                           size_t chunk_elems = kDefaultChunkElems);

// The data scan's stream (validate): stream_f32, plus what the family finds in stored
// bytes that never become values (non-zero tile padding, block-float exponents out of
// range), appended to `findings` with their offsets. Raw tensors have none.
Result<uint64_t> scan_f32(const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink,
                          std::vector<Finding>& findings, size_t chunk_elems = kDefaultChunkElems);

// The first byte (in source t.place.source) of element `element` of t: computed for raw
// tensors, asked of the family for encoded ones; nullopt when unknown.
std::optional<uint64_t> element_offset(const Checkpoint& cp, const TensorInfo& t, uint64_t element);

// Reads raw elements [first, first + n) of a raw (not encoded, not Q8_0) tensor as fp32.
// Fails with stream_dtype for other tensors and io_read past the file's end.
Result<bool> read_raw_f32(const Checkpoint& cp, const TensorInfo& t, uint64_t first, size_t n, float* out);

}  // namespace ckpt
