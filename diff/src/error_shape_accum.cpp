#include "error_shape_accum.hpp"

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "ckpt/view_reader.hpp"

namespace ckpt::diffing {

namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

// Elements of rows [r0, r1) x columns [c0, c1) among the first `compared` (row-major).
uint64_t compared_in(uint64_t r0, uint64_t r1, uint64_t c0, uint64_t c1, uint64_t cols, uint64_t compared) {
  const uint64_t full = compared / cols, part = compared % cols;
  uint64_t n = r1 > r0 && std::min(r1, full) > r0 ? (std::min(r1, full) - r0) * (c1 - c0) : 0;
  if (full >= r0 && full < r1 && part > c0) n += std::min(part, c1) - c0;
  return n;
}

double rms(double sq, uint64_t n) { return n ? std::sqrt(sq / double(n)) : 0.0; }

// Profiles and map of the first `compared` elements from their sums of squares.
ErrorShape shape_from(const ErrorGeometry& g, uint64_t compared, const std::vector<double>* row_sq,
                      const std::vector<double>* col_sq, const std::vector<double>* map_sq) {
  ErrorShape s;
  s.rows = g.rows;
  s.cols = g.cols;
  s.compared = compared;
  s.by_row.bucket = g.row_bucket;
  s.by_col.bucket = g.col_bucket;
  for (uint64_t b = 0; b < g.n_row; ++b) {
    const uint64_t n =
        compared_in(b * g.row_bucket, std::min(g.rows, (b + 1) * g.row_bucket), 0, g.cols, g.cols, compared);
    s.by_row.count.push_back(n);
    s.by_row.rms.push_back(rms(row_sq ? (*row_sq)[b] : 0.0, n));
  }
  for (uint64_t b = 0; b < g.n_col; ++b) {
    const uint64_t n =
        compared_in(0, g.rows, b * g.col_bucket, std::min(g.cols, (b + 1) * g.col_bucket), g.cols, compared);
    s.by_col.count.push_back(n);
    s.by_col.rms.push_back(rms(col_sq ? (*col_sq)[b] : 0.0, n));
  }
  s.map_rows = g.map_rows;
  s.map_cols = g.map_cols;
  s.map_row_bucket = g.map_row_bucket;
  s.map_col_bucket = g.map_col_bucket;
  for (uint64_t r = 0; r < g.map_rows; ++r)
    for (uint64_t c = 0; c < g.map_cols; ++c) {
      const uint64_t n =
          compared_in(r * g.map_row_bucket, std::min(g.rows, (r + 1) * g.map_row_bucket), c * g.map_col_bucket,
                      std::min(g.cols, (c + 1) * g.map_col_bucket), g.cols, compared);
      s.map_count.push_back(n);
      s.map_rms.push_back(rms(map_sq ? (*map_sq)[r * g.map_cols + c] : 0.0, n));
    }
  return s;
}

}  // namespace

ErrorGeometry ErrorGeometry::of(uint64_t rows, uint64_t cols) {
  ErrorGeometry g;
  g.rows = std::max<uint64_t>(1, rows);
  g.cols = std::max<uint64_t>(1, cols);
  g.row_bucket = ceil_div(g.rows, ErrorShape::kProfileBuckets);
  g.col_bucket = ceil_div(g.cols, ErrorShape::kProfileBuckets);
  g.n_row = ceil_div(g.rows, g.row_bucket);
  g.n_col = ceil_div(g.cols, g.col_bucket);
  g.map_row_bucket = g.row_bucket * ceil_div(g.n_row, ErrorShape::kMapCells);
  g.map_col_bucket = g.col_bucket * ceil_div(g.n_col, ErrorShape::kMapCells);
  g.map_rows = ceil_div(g.rows, g.map_row_bucket);
  g.map_cols = ceil_div(g.cols, g.map_col_bucket);
  return g;
}

ErrorShapeAccum::ErrorShapeAccum(const ErrorGeometry& g)
    : g_(g),
      lanes_(kLanes * kLaneStride, 0),
      row_sq_(g.n_row, 0.0),
      col_sq_(g.n_col, 0.0),
      map_sq_(g.map_rows * g.map_cols, 0.0),
      col_f_(g.cols <= kPerColumnMax ? g.cols : 0, 0.0f) {}

namespace {

// Sum of squared errors in double, from floats summed (vectorised) 256 at a time.
double sum_of(const float* e, size_t n) {
  double total = 0;
  for (size_t i = 0; i < n; i += 256) {
    const size_t end = std::min(n, i + 256);
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (size_t j = i; j < end; ++j) s += e[j];
    total += s;
  }
  return total;
}

}  // namespace

void ErrorShapeAccum::add(uint64_t first, const float* a, const float* b, size_t n) {
  // In pieces: one vectorised loop computes each (a - b)^2 (in float: a picture needs no
  // more, and four at a time) and each |a - b| bin; the histogram counts in four lanes;
  // then sums per column, map cell and row.
  constexpr size_t kPiece = 4096;  // the kernel's block: one piece per call
  float e2[kPiece];
  uint16_t bin[kPiece];
  for (size_t off = 0; off < n; off += kPiece) {
    const size_t k = std::min(kPiece, n - off);
    const float* pa = a + off;
    const float* pb = b + off;
#pragma omp simd
    for (size_t j = 0; j < k; ++j) {
      const float d = pa[j] - pb[j], v = d * d;
      bin[j] = uint16_t((std::bit_cast<uint32_t>(d) & 0x7fffffffu) >> kShift);  // NaN: a bin result() leaves out
      e2[j] = v <= FLT_MAX ? v : 0.0f;  // NaN or Inf: no error added (false for NaN)
    }
    size_t j = 0;
    for (; j + kLanes <= k; j += kLanes)
      for (size_t l = 0; l < kLanes; ++l) ++lanes_[l * kLaneStride + bin[j + l]];
    for (; j < k; ++j) ++lanes_[bin[j]];
    add_sums(first + off, e2, k);
  }
  added_ += n;
}

void ErrorShapeAccum::add_sums(uint64_t first, const float* e2, size_t n) {
  uint64_t r = first / g_.cols, c = first % g_.cols;
  size_t i = 0;
  while (i < n) {
    // One row (or the part of it in this piece): per column, then per map cell.
    const size_t row_end = i + size_t(std::min<uint64_t>(g_.cols - c, n - i));
    if (!col_f_.empty()) {
      float* col = col_f_.data() + c;
      const float* e = e2 + i;
#pragma omp simd
      for (size_t j = 0; j < row_end - i; ++j) col[j] += e[j];
      // Float column sums hold at most kFlushRows rows' errors: then they go to double.
      if (++col_rows_ == kFlushRows) flush_columns();
    }
    double* map_row = map_sq_.data() + (r / g_.map_row_bucket) * g_.map_cols;
    double row_sum = 0;
    for (uint64_t cell = c / g_.map_col_bucket; i < row_end; ++cell) {
      const size_t end = i + size_t(std::min<uint64_t>((cell + 1) * g_.map_col_bucket - c, row_end - i));
      const double s = sum_of(e2 + i, end - i);
      map_row[cell] += s;
      row_sum += s;
      if (col_f_.empty()) add_col_buckets(c, e2 + i, end - i);
      c += end - i;
      i = end;
    }
    row_sq_[r / g_.row_bucket] += row_sum;
    ++r;
    c = 0;
  }
}

void ErrorShapeAccum::flush_columns() {
  for (size_t c = 0; c < col_f_.size(); ++c) {
    col_sq_[c / g_.col_bucket] += col_f_[c];
    col_f_[c] = 0.0f;
  }
  col_rows_ = 0;
}

void ErrorShapeAccum::add_col_buckets(uint64_t c, const float* e2, size_t n) {
  size_t i = 0;
  for (uint64_t cb = c / g_.col_bucket; i < n; ++cb) {
    const size_t end = i + size_t(std::min<uint64_t>((cb + 1) * g_.col_bucket - c, n - i));
    col_sq_[cb] += sum_of(e2 + i, end - i);
    c += end - i;
    i = end;
  }
}

void ErrorShapeAccum::add_to(std::shared_ptr<ErrorShapeAccum>& slot, const ErrorGeometry& g, uint64_t first,
                             const float* a, const float* b, size_t n) {
  if (!slot) slot = std::make_shared<ErrorShapeAccum>(g);
  slot->add(first, a, b, n);
}

void ErrorShapeAccum::merge_into(std::shared_ptr<ErrorShapeAccum>& into, const std::shared_ptr<ErrorShapeAccum>& from) {
  if (!from) return;
  if (!into) {
    into = std::make_shared<ErrorShapeAccum>(*from);
    return;
  }
  for (size_t i = 0; i < into->lanes_.size(); ++i) into->lanes_[i] += from->lanes_[i];
  into->added_ += from->added_;
  for (size_t i = 0; i < into->row_sq_.size(); ++i) into->row_sq_[i] += from->row_sq_[i];
  for (size_t i = 0; i < into->col_sq_.size(); ++i) into->col_sq_[i] += from->col_sq_[i];
  for (size_t i = 0; i < into->map_sq_.size(); ++i) into->map_sq_[i] += from->map_sq_[i];
  into->flush_columns();
  for (size_t c = 0; c < from->col_f_.size(); ++c) into->col_sq_[c / into->g_.col_bucket] += from->col_f_[c];
}

ErrorShape ErrorShapeAccum::result(uint64_t compared) const {
  std::vector<double> col_sq = col_sq_;
  for (size_t c = 0; c < col_f_.size(); ++c) col_sq[c / g_.col_bucket] += col_f_[c];
  ErrorShape s = shape_from(g_, compared, &row_sq_, &col_sq, &map_sq_);
  HistogramAccumulator h(kMantissaBits);
  for (size_t l = 0; l < kLanes; ++l)
    for (size_t b = 0; b < kHistBins / 2; ++b) h.counts()[b] += lanes_[l * kLaneStride + b];
  h.counts()[0] += compared > added_ ? compared - added_ : 0;  // the equal blocks: |a - b| = 0
  s.abs_error = h.result();
  return s;
}

ErrorGeometry geometry_of(const CanonicalView& v, uint64_t numel) {
  const uint64_t cols = std::max<uint64_t>(1, v.cols());
  return ErrorGeometry::of(std::max<uint64_t>(1, numel / cols), cols);
}

ErrorShape equal_error_shape(const ErrorGeometry& g, uint64_t compared) {
  ErrorShape s = shape_from(g, compared, nullptr, nullptr, nullptr);
  if (compared) s.abs_error.bins.push_back({-std::ldexp(1.0, -126), std::ldexp(1.0, -126), compared});
  return s;
}

void read_corner(const Checkpoint& ca, const CanonicalView& va, const Checkpoint& cb, const CanonicalView& vb,
                 bool force_stream, ErrorShape& shape) {
  const uint64_t rows = std::min(shape.rows, ErrorShape::kCorner), cols = std::min(shape.cols, ErrorShape::kCorner);
  ViewReader ra(ca, va, force_stream), rb(cb, vb, force_stream);
  std::vector<float> xa(rows * cols), xb(rows * cols);
  uint64_t present = 0;  // complete rows of the corner both files hold
  for (uint64_t r = 0; r < rows; ++r) {
    const uint64_t first = r * shape.cols;
    if (first + cols > std::min(ra.available(), rb.available())) break;
    if (!ra.read(first, size_t(cols), xa.data() + r * cols, nullptr) ||
        !rb.read(first, size_t(cols), xb.data() + r * cols, nullptr))
      return;
    ++present;
  }
  xa.resize(present * cols);
  xb.resize(present * cols);
  shape.corner_rows = present;
  shape.corner_cols = present ? cols : 0;
  shape.corner_a = std::move(xa);
  shape.corner_b = std::move(xb);
}

void attach_error_shape(const Checkpoint& ca, const CanonicalView& va, const Checkpoint& cb, const CanonicalView& vb,
                        const ErrorGeometry& g, const std::shared_ptr<ErrorShapeAccum>& acc, bool force_stream,
                        TensorDiff& td) {
  if (acc)
    td.error_shape = acc->result(td.compared);
  else if (td.status != DiffStatus::equal)
    td.error_shape = equal_error_shape(g, td.compared);
  if (td.error_shape) read_corner(ca, va, cb, vb, force_stream, *td.error_shape);
}

}  // namespace ckpt::diffing
