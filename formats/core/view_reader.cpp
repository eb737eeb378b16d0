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

}  // namespace

ViewReader::ViewReader(const Checkpoint& cp, const CanonicalView& v, bool force_stream)
    : cp_(cp), v_(v), t_(cp.tensors.at(v.tensor)), force_stream_(force_stream) {
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
  return t_.place.storage == Storage::raw && (is_q8() || !force_stream_);
}

Result<bool> ViewReader::read(uint64_t first, size_t n, float* out, float* half_step) {
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

}  // namespace ckpt
