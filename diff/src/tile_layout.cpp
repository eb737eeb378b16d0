// The tile_layout diagnosis: two sampled hypotheses, one per direction of the mix-up.
#include "tile_layout.hpp"

#include <fmt/core.h>

#include "sample_check.hpp"

namespace ckpt::diffing {

uint64_t tiled_position(uint64_t r, uint64_t c, uint64_t cols) {
  const uint64_t tile = (r / 32) * (cols / 32) + c / 32;
  const uint64_t face = ((r % 32) / 16) * 2 + (c % 32) / 16;
  return tile * 1024 + face * 256 + (r % 16) * 16 + c % 16;
}

std::optional<Diagnosis> tile_layout(DiagContext& ctx, const MatchedPair& m, const TensorDiff& td,
                                     const ElementRule& rule) {
  const auto& s = m.a->shape;
  if (s.size() != 2 || m.b->shape != s || s[0] % 32 != 0 || s[1] % 32 != 0 || s[0] * s[1] < 1024) return std::nullopt;
  if (!m.a->simple() || !m.b->simple() || m.a->row_begin != 0 || m.b->row_begin != 0) return std::nullopt;
  if (td.compared < m.a->numel) return std::nullopt;
  const uint64_t cols = s[1];
  std::vector<uint64_t> pb;
  for (const auto& x : td.first_mismatches) pb.push_back(x.flat);
  for (uint64_t p : sample_positions(m.b->numel))
    if (std::find(pb.begin(), pb.end(), p) == pb.end()) pb.push_back(p);
  // B tilized, read as row-major: B's flat position p holds A's element stored at tile
  // position p. The inverse: p = tiled_position(r, c) of A's (r, c).
  std::vector<uint64_t> pa;
  for (const bool labelled_row_major : {true, false}) {
    pa.clear();
    for (uint64_t p : pb) {
      if (labelled_row_major) {
        const uint64_t tile = p / 1024, in = p % 1024, face = in / 256, fr = in % 256 / 16, fc = in % 16;
        const uint64_t r = (tile / (cols / 32)) * 32 + (face / 2) * 16 + fr, c = (tile % (cols / 32)) * 32 + (face % 2) * 16 + fc;
        pa.push_back(r * cols + c);
      } else {
        pa.push_back(tiled_position(p / cols, p % cols, cols));
      }
    }
    if (!fits({ctx.ca, *m.a, ctx.force_stream}, pa, {ctx.cb, *m.b, ctx.force_stream}, pb, rule)) continue;
    Diagnosis d;
    d.kind = "tile_layout";
    d.direction = labelled_row_major ? "labelled_row_major" : "labelled_tile";
    d.checked = pb.size();
    d.detail = labelled_row_major
                   ? "B's bytes are A's in tile order (32x32 tiles of 16x16 faces) read as row-major: B was written "
                     "tilized but labelled ROW_MAJOR"
                   : "B's bytes are A's row-major values read as tiles: B was written row-major but labelled TILE";
    return d;
  }
  return std::nullopt;
}

}  // namespace ckpt::diffing
