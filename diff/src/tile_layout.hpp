#pragma once
// A diagnosis of its own for tt-metal tile layouts (kind "tile_layout"), kept apart from
// diagnose.cpp: B's values are A's with tiled bytes read as row-major (a tensor written
// tilized but labelled ROW_MAJOR), or row-major bytes untilized (written row-major,
// labelled TILE). Only for matrices whose sides are multiples of 32: otherwise the tiled
// and row-major byte counts differ and the reader reports tensorbin.data_length instead.
#include <optional>

#include "diagnose.hpp"

namespace ckpt::diffing {

std::optional<Diagnosis> tile_layout(DiagContext& ctx, const MatchedPair& pair, const TensorDiff& td,
                                     const ElementRule& rule);

// tt-metal's tile order: element (r, c) of a matrix `cols` wide (a multiple of 32) is at
// position tile * 1024 + face * 256 + (r % 16) * 16 + c % 16.
uint64_t tiled_position(uint64_t r, uint64_t c, uint64_t cols);

}  // namespace ckpt::diffing
