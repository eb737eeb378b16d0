#include "ckpt/view_reader.hpp"

#include <algorithm>
#include <cstring>

#include "ckpt/quant.hpp"
#include "ckpt/tensor_stream.hpp"
#include "stream_cursor.hpp"

namespace ckpt {

namespace {

Error read_error(const ByteSource& src, uint64_t off) {
  return Error{ErrorCode::io_read, "cannot read " + src.name() + " at byte " + std::to_string(off), off};
}

// Rows and columns of a stored tensor seen as a matrix (a vector is one row).
uint64_t rows_of(const TensorInfo& t) { return t.spec.shape.size() >= 2 ? t.spec.shape[0] : 1; }
uint64_t cols_of(const TensorInfo& t) {
  const uint64_t r = rows_of(t);
  return r ? t.spec.numel / r : 0;
}

}  // namespace

ViewReader::ViewReader(const Checkpoint& cp, const CanonicalView& v, bool force_stream)
    : cp_(cp), v_(v), t_(cp.tensors.at(v.tensor)), force_stream_(force_stream) {
  if (!v.simple()) {
    // Shards and permuted rows are read positionally: every piece raw and complete.
    bool ok = true;
    for (size_t i = 0; i <= v.shards.size(); ++i) {
      const TensorInfo& t = cp.tensors.at(i == 0 ? v.tensor : v.shards[i - 1]);
      ok &= t.place.storage == Storage::raw && t.spec.dtype != DType::q8_0 && dtype_width(t.spec.dtype) != 0 &&
            t.status == TensorStatus::complete;
    }
    available_ = ok ? v.numel : 0;
    return;
  }
  const uint64_t all = streamable_elements(cp, t_);
  const uint64_t eo = v.elem_offset();
  available_ = all > eo ? std::min(all - eo, v.numel) : 0;
}

ViewReader::~ViewReader() = default;
ViewReader::ViewReader(ViewReader&&) noexcept = default;

bool ViewReader::is_q8() const { return t_.spec.dtype == DType::q8_0; }

// Q8_0 tensors are always read positionally, so that their scales (the half steps) are
// at hand.
bool ViewReader::random_access() const {
  if (!v_.simple()) return true;
  return t_.place.storage == Storage::raw && (is_q8() || !force_stream_);
}

Result<bool> ViewReader::read(uint64_t first, size_t n, float* out, float* half_step) {
  if (!v_.simple()) {
    if (half_step) std::fill(half_step, half_step + n, 0.0f);
    return read_mapped(first, n, out);
  }
  const uint64_t e0 = v_.elem_offset() + first;
  if (!random_access()) return read_stream(e0, n, out, half_step);
  if (is_q8()) return read_q8(e0, n, out, half_step);
  auto r = read_raw_f32(cp_, t_, e0, n, out);
  if (!r) return r;
  if (half_step) std::fill(half_step, half_step + n, 0.0f);
  return true;
}

Result<bool> ViewReader::read_q8(uint64_t e0, size_t n, float* out, float* half_step) {
  const uint64_t gs = uint64_t(cp_.config->group_size);
  const uint64_t g0 = e0 / gs, g1 = (e0 + n + gs - 1) / gs;
  const size_t groups = size_t(g1 - g0);
  q_.resize(groups * gs);
  s_.resize(groups);
  const Placement& p = t_.place;
  const ByteSource& src = cp_.source(p.source);
  if (!src.read(p.offset + g0 * gs, q_.data(), q_.size())) return read_error(src, p.offset + g0 * gs);
  if (!src.read(p.scale_offset + g0 * 4, s_.data(), groups * 4)) return read_error(src, p.scale_offset + g0 * 4);
  const size_t skip = size_t(e0 - g0 * gs);
  float* dst = out;
  if (skip != 0 || q_.size() != n) {  // unaligned range: dequantize aside, then copy the part asked for
    deq_.resize(q_.size());
    dst = deq_.data();
  }
  dequantize_q8_0(q_.data(), s_.data(), groups, size_t(gs), dst);
  if (dst != out) std::memcpy(out, dst + skip, n * 4);
  if (half_step) {  // group by group: no division per element
    for (size_t g = 0, i = 0; i < n; ++g) {
      const size_t end = std::min<size_t>(n, size_t((g + 1) * gs) - skip);
      std::fill(half_step + i, half_step + end, q8_half_step(s_[g]));
      i = end;
    }
  }
  return true;
}

Result<bool> ViewReader::read_stream(uint64_t e0, size_t n, float* out, float* half_step) {
  if (cursor_ && e0 < cursor_->position()) cursor_.reset();  // backwards: start over
  if (!cursor_) cursor_ = std::make_unique<core::StreamCursor>(cp_, t_, std::max<size_t>(n, size_t(1) << 16));
  auto r = cursor_->read(e0, n, out);
  if (!r) return r;
  if (half_step) std::fill(half_step, half_step + n, 0.0f);
  return true;
}

Result<bool> ViewReader::read_mapped(uint64_t first, size_t n, float* out) {
  const uint64_t cols = v_.cols();
  for (size_t done = 0; done < n;) {
    const uint64_t e = first + done, row = e / cols, col = e % cols;
    const size_t take = size_t(std::min<uint64_t>(cols - col, n - done));
    auto r = read_row(row, col, take, out + done);
    if (!r) return r;
    done += take;
  }
  return true;
}

Result<bool> ViewReader::read_row(uint64_t row, uint64_t col, size_t count, float* out) {
  if (const uint64_t hs = v_.rotary_head_size; hs >= 2) {
    // Hugging Face -> Meta: view row h*hs + 2i + k is stored row h*hs + k*hs/2 + i.
    const uint64_t h = row / hs, w = row % hs;
    row = h * hs + (w % 2) * (hs / 2) + w / 2;
  }
  const size_t pieces = v_.shards.size() + 1;
  auto piece = [&](size_t i) -> const TensorInfo& { return cp_.tensors[i == 0 ? v_.tensor : v_.shards[i - 1]]; };
  if (v_.shard_axis == 0 || pieces == 1) {
    // Rows stacked: find the piece holding this row.
    uint64_t start = 0;
    for (size_t i = 0; i < pieces; ++i) {
      const TensorInfo& t = piece(i);
      const uint64_t skip = i == 0 ? v_.row_begin : 0, rows = rows_of(t) - std::min(rows_of(t), skip);
      if (row < start + rows) return read_raw_f32(cp_, t, (skip + row - start) * cols_of(t) + col, count, out);
      start += rows;
    }
    return Error{ErrorCode::io_read, v_.name + ": row " + std::to_string(row) + " is in no shard", {}};
  }
  // Columns side by side: each piece holds a band of every row.
  uint64_t band = 0;
  for (size_t i = 0; i < pieces && count > 0; ++i) {
    const TensorInfo& t = piece(i);
    const uint64_t width = cols_of(t);
    if (col < band + width) {
      const size_t k = size_t(std::min<uint64_t>(count, band + width - col));
      auto r = read_raw_f32(cp_, t, row * width + (col - band), k, out);
      if (!r) return r;
      out += k, col += k, count -= k;
    }
    band += width;
  }
  if (count > 0) return Error{ErrorCode::io_read, v_.name + ": column " + std::to_string(col) + " is in no shard", {}};
  return true;
}

}  // namespace ckpt
