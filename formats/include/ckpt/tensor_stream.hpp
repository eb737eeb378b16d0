#pragma once
// Streaming access to tensor values with bounded memory: any tensor as fp32 chunks
// (Q8_0 dequantized on the fly, msgpack decoded), or a Q8_0 tensor as raw int8 + scales.
#include <cstddef>
#include <cstdint>
#include <functional>

#include "ckpt/checkpoint.hpp"

namespace ckpt {

// Elements per chunk by default: 1 Mi floats (4 MiB), big enough to stream at memory
// bandwidth, small enough that two files side by side stay far below 256 MB.
constexpr size_t kDefaultChunkElems = size_t(1) << 20;

// Q8_0 groups larger than this are not streamed (a group is the unit of a read): no
// exporter uses more than 64, and the bound keeps a hostile header from sizing buffers.
constexpr int64_t kMaxStreamGroupSize = int64_t(1) << 20;

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

// Streams the fp32 values of `t` that are present in the file, in flat row-major order;
// a truncated tensor streams its complete prefix (for Q8_0: its groups whose int8 data
// and scale are both present). Returns the number of elements streamed; fails with
// "io.read" when the file cannot be read.
Result<uint64_t> stream_f32(const ByteSource& src, const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink,
                            size_t chunk_elems = kDefaultChunkElems);

// Streams a Q8_0 tensor's complete groups as raw int8 data and scales. Returns the
// number of groups streamed; fails with "stream.dtype" for a tensor that is not Q8_0.
Result<uint64_t> stream_q8(const ByteSource& src, const Checkpoint& cp, const TensorInfo& t, const Q8Sink& sink,
                           size_t chunk_elems = kDefaultChunkElems);

namespace detail {
// The msgpack reader's own streaming, defined next to it.
Result<uint64_t> stream_ttml_f32(const ByteSource& src, const Checkpoint& cp, const TensorInfo& t,
                                 const F32Sink& sink, size_t chunk_elems);
}  // namespace detail

}  // namespace ckpt
