#pragma once
// Where and how much two tensors differ, collected in the comparison pass when asked
// (DiffOptions::error_shapes, `ckpt diff --html`): the distribution of |a - b|, the error
// per bucket of rows and of columns (a transposition, a permutation of rows, a truncation
// or stripes show there), a coarse map of the matrix, and the top-left corner of both
// sides. Sizes are bounded whatever the tensor: at most kProfileBuckets buckets per
// axis, kMapCells x kMapCells map cells, kCorner x kCorner corner values.
#include <cstdint>
#include <vector>

#include "ckpt/histogram.hpp"

namespace ckpt {

struct ErrorShape {
  static constexpr uint64_t kProfileBuckets = 512;
  static constexpr uint64_t kMapCells = 32;
  static constexpr uint64_t kCorner = 32;

  // |a - b| over the compared pairs where both values are finite, 4 bins per power of
  // two; equal pairs are in the bin around zero.
  Histogram abs_error;
  uint64_t rows = 0, cols = 0;  // the compared matrix (a vector is one row; more dims fold into cols)
  uint64_t compared = 0;        // the first `compared` elements in row-major order (fewer: a truncated file)

  // Root mean square of a - b per bucket of `bucket` consecutive rows (columns), over
  // the `count` compared elements the bucket holds (none: rms 0 and count 0). Squares
  // are taken in float (a picture needs no more); pairs with NaN or Inf add no error.
  struct Profile {
    uint64_t bucket = 1;
    std::vector<double> rms;
    std::vector<uint64_t> count;
  };
  Profile by_row, by_col;

  // The same per cell of map_row_bucket rows x map_col_bucket columns, row-major.
  uint64_t map_rows = 0, map_cols = 0, map_row_bucket = 1, map_col_bucket = 1;
  std::vector<double> map_rms;
  std::vector<uint64_t> map_count;

  // Rows [0, corner_rows) x columns [0, corner_cols) of A and of B, row-major: read after
  // the pass for the eye (a transposed matrix shows its mirror image).
  uint64_t corner_rows = 0, corner_cols = 0;
  std::vector<float> corner_a, corner_b;
};

}  // namespace ckpt
