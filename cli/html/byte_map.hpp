#pragma once
// The file as a line of bytes: which ranges hold the header, each tensor's data, Q8_0
// scales, metadata, padding or bytes no layout maps, trailing bytes, and which ranges the
// layout expects beyond the end of a truncated file. `inspect --html` draws it to scale.
#include <cstdint>
#include <string>
#include <vector>

#include "ckpt/checkpoint.hpp"

namespace ckpt::cli::html {

enum class ByteKind { header, tensor, scales, metadata, gap, trailing, missing };
std::string_view byte_kind_name(ByteKind k);

struct ByteRegion {
  uint64_t offset = 0, length = 0;
  ByteKind kind = ByteKind::gap;
  std::string label;  // the tensor or metadata key; empty for header, gaps, trailing, missing
  size_t tensor = 0;  // kind tensor / scales: index into Checkpoint::tensors
};

// The regions of the checkpoint's first file (Placement::source 0), ascending and not
// overlapping, covering [0, max(file size, expected size)): what the file holds up to its
// size, then `missing` for what a layout expects beyond it. At most `cap` regions: the
// rest is folded into the last one's neighbours as gaps (a file of a million tensors
// still draws).
std::vector<ByteRegion> byte_regions(const Checkpoint& cp, size_t cap = 50000);

// The byte map as SVG: `rows` lines of `width` px, each covering an equal share of the
// bytes; regions at least 1 px wide; a break line where a truncated file ends.
std::string byte_map_svg(const Checkpoint& cp, const std::vector<ByteRegion>& regions, int width, int rows);

}  // namespace ckpt::cli::html
