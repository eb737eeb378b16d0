#pragma once
// The accumulator behind TensorDiff::error_shape (ckpt/error_shape.hpp). The comparison
// kernel feeds it the blocks that are not bitwise equal, so equal tensors and equal
// blocks cost nothing; ranges compared on other threads merge; result() fills in what
// the skipped equal blocks held (zero error) from the geometry alone.
#include <cstdint>
#include <memory>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "ckpt/diff_report.hpp"
#include "ckpt/error_shape.hpp"
#include "ckpt/views.hpp"

namespace ckpt::diffing {

// Buckets of a rows x cols matrix: profile buckets of whole rows (columns), map cells of
// whole profile buckets, so that a run of columns in one profile bucket is in one cell.
struct ErrorGeometry {
  uint64_t rows = 1, cols = 1;
  uint64_t row_bucket = 1, col_bucket = 1, n_row = 1, n_col = 1;
  uint64_t map_row_bucket = 1, map_col_bucket = 1, map_rows = 1, map_cols = 1;
  // rows >= 1 and cols >= 1 (a vector is one row).
  static ErrorGeometry of(uint64_t rows, uint64_t cols);
};

class ErrorShapeAccum {
 public:
  explicit ErrorShapeAccum(const ErrorGeometry& g);
  // Flat elements [first, first + n) of A and B: a block holding a difference.
  void add(uint64_t first, const float* a, const float* b, size_t n);
  // Creates the accumulator in `slot` at the first block that differs, then adds.
  static void add_to(std::shared_ptr<ErrorShapeAccum>& slot, const ErrorGeometry& g, uint64_t first, const float* a,
                     const float* b, size_t n);
  // Merges another range's accumulator of the same tensor (either may be empty).
  static void merge_into(std::shared_ptr<ErrorShapeAccum>& into, const std::shared_ptr<ErrorShapeAccum>& from);
  // The shape of the first `compared` elements (those never added were equal).
  ErrorShape result(uint64_t compared) const;

 private:
  static constexpr int kMantissaBits = 2;  // 4 bins per power of two (HistogramAccumulator's bins)
  static constexpr size_t kHistBins = size_t(1) << (9 + kMantissaBits);  // HistogramAccumulator's
  static constexpr size_t kLanes = 4;
  // A lane holds the bins of |a - b| (sign bit clear: the lower half), padded so that
  // lanes do not start 4 KiB apart (loads and stores that far apart falsely depend).
  static constexpr size_t kLaneStride = kHistBins / 2 + 8;
  static constexpr int kShift = 23 - kMantissaBits;
  void add_sums(uint64_t first, const float* e2, size_t n);       // row, column and map sums
  void add_col_buckets(uint64_t col, const float* e2, size_t n);  // one row's columns [col, col + n)
  void flush_columns();                                           // col_f_ into col_sq_
  // Matrices up to this many columns sum per column in float (a vector add per row),
  // moved to the double bucket sums every kFlushRows rows; wider ones (long vectors) sum
  // per bucket directly.
  static constexpr uint64_t kPerColumnMax = 1 << 16;
  static constexpr uint32_t kFlushRows = 256;

  ErrorGeometry g_;
  std::vector<uint64_t> lanes_;  // kLanes x kLaneStride counters (32 KiB)
  uint64_t added_ = 0;
  std::vector<double> row_sq_, col_sq_, map_sq_;  // sums of (a - b)^2
  std::vector<float> col_f_;                      // per column, since the last flush
  uint32_t col_rows_ = 0;
};

// The geometry of the first `numel` elements of a view (its rows, and the elements of
// each row as columns).
ErrorGeometry geometry_of(const CanonicalView& v, uint64_t numel);

// The shape of a compared pair whose blocks were all bitwise equal (no accumulator).
ErrorShape equal_error_shape(const ErrorGeometry& g, uint64_t compared);

// Reads rows [0, 32) x columns [0, 32) (at most) of both views into shape.corner_*
// (bounded reads); leaves them empty when either read fails.
void read_corner(const Checkpoint& ca, const CanonicalView& va, const Checkpoint& cb, const CanonicalView& vb,
                 bool force_stream, ErrorShape& shape);

// After the pass: td.error_shape for a compared pair that differs in any way (values
// beyond the rule or within it, missing elements), with its corner read.
void attach_error_shape(const Checkpoint& ca, const CanonicalView& va, const Checkpoint& cb, const CanonicalView& vb,
                        const ErrorGeometry& g, const std::shared_ptr<ErrorShapeAccum>& acc, bool force_stream,
                        TensorDiff& td);

}  // namespace ckpt::diffing
