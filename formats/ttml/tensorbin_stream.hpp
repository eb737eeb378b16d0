#pragma once
// A .tensorbin's tensor as the fp32 values of its logical shape in row-major order: the
// shards put together as the topology says (replicas read once, shards concatenated along
// their tensor dim), tiles untilized and padding dropped on the way, block floats
// expanded. Memory is bounded by a tile row per shard (a tile row wider than the budget is
// read in column blocks); the scan variant also reports what never becomes a value.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/finding.hpp"
#include "ckpt/tensor_stream.hpp"
#include "tensorbin.hpp"

namespace ckpt::ttml {

// How a file's shards make one tensor.
struct ShardGrid {
  std::vector<uint64_t> full_shape;  // the tensor the shards make up
  std::vector<uint64_t> blocks;      // shards along each tensor dim (1 when not split)
  std::vector<size_t> shard_at;      // per block (row-major over `blocks`): the shard record, or kNoShard
  bool complete = false;             // every block has a shard
  std::string how;                   // one line for inspect
  static constexpr size_t kNoShard = size_t(-1);
};

// Puts the shard records together (needs h.geometry). Inconsistent topologies are
// findings (tensorbin.shards) about `subject`; the grid then reads shard 0 alone.
ShardGrid build_grid(const TensorbinHeader& h, const std::string& subject, std::vector<Finding>& findings);

// What a scan finds in stored bytes that never become values.
struct ScanFinds {
  uint64_t nonzero_padding = 0;
  std::optional<uint64_t> first_padding;  // absolute byte of the first non-zero padding element
  uint64_t bad_exponents = 0;
  std::optional<uint64_t> first_exponent;  // absolute byte of the first shared exponent of 255
};

// Budget of decoded values one shard cursor holds (a tile row of up to this many values
// is decoded at once; wider ones in column blocks, re-read for each of their rows).
constexpr size_t kTileRowBudget = size_t(8) << 20;

// Streams the grid's full tensor in row-major order, chunks of up to chunk_elems.
// Fails with io_read naming the byte that could not be read. `scan` (optional) receives
// padding and exponent findings of every tile read. `budget` is shared by the shards'
// cursors (tests lower it to reach the column-block path).
Result<uint64_t> stream_tensorbin(const ByteSource& src, const TensorbinHeader& h, const ShardGrid& g,
                                  const F32Sink& sink, size_t chunk_elems, ScanFinds* scan = nullptr,
                                  size_t budget = kTileRowBudget);

// The absolute byte holding element `flat` of the full tensor; nullopt when the grid
// has no shard for it.
std::optional<uint64_t> tensorbin_element_byte(const TensorbinHeader& h, const ShardGrid& g, uint64_t flat);

}  // namespace ckpt::ttml
