#include "view_reader.hpp"

#include <algorithm>
#include <cstring>

#include "ckpt/quant.hpp"
#include "ckpt/tensor_stream.hpp"

namespace ckpt::diffimpl {

namespace {

Error read_error(const ByteSource& src, uint64_t off) {
  return Error{"io.read", "cannot read " + src.name() + " at byte " + std::to_string(off), off};
}

// Elements of the whole file tensor that can be read (the complete prefix).
uint64_t tensor_available(const Checkpoint& cp, const TensorInfo& t) {
  if (t.spec.dtype == DType::q8_0) {
    const uint64_t gs = uint64_t(cp.config ? cp.config->group_size : 0);
    if (gs == 0) return 0;
    return std::min({t.data_available / gs, t.scale_available / 4, t.spec.numel / gs}) * gs;
  }
  if (cp.format == Format::ttml_msgpack) return t.status == TensorStatus::complete ? t.spec.numel : 0;
  return std::min(t.spec.numel, t.data_available / 4);
}

}  // namespace

ViewReader::ViewReader(const ByteSource& src, const Checkpoint& cp, const View& v, bool force_stream)
    : src_(src), cp_(cp), v_(v), force_stream_(force_stream) {
  const uint64_t all = tensor_available(cp, *v.t);
  const uint64_t eo = v.elem_offset();
  available_ = all > eo ? std::min(all - eo, v.numel) : 0;
}

bool ViewReader::is_q8() const { return v_.t->spec.dtype == DType::q8_0; }

// Q8_0 tensors exist only in llama2.c layouts and are always read positionally, so that
// their scales (the half steps) are at hand.
bool ViewReader::random_access() const { return is_llama2c_checkpoint(cp_.format) && (is_q8() || !force_stream_); }

Result<bool> ViewReader::read(uint64_t first, size_t n, float* out, float* half_step) {
  const uint64_t e0 = v_.elem_offset() + first;
  if (!random_access()) return read_stream(e0, n, out, half_step);
  if (is_q8()) return read_q8(e0, n, out, half_step);
  const uint64_t off = v_.t->place.offset + e0 * 4;
  // Files are little-endian and so is every host we build for (checked in CMake).
  if (!src_.read(off, out, n * 4)) return read_error(src_, off);
  if (half_step) std::fill(half_step, half_step + n, 0.0f);
  return true;
}

Result<bool> ViewReader::read_q8(uint64_t e0, size_t n, float* out, float* half_step) {
  const uint64_t gs = uint64_t(cp_.config->group_size);
  const uint64_t g0 = e0 / gs, g1 = (e0 + n + gs - 1) / gs;
  const size_t groups = size_t(g1 - g0);
  q_.resize(groups * gs);
  s_.resize(groups);
  const Placement& p = v_.t->place;
  if (!src_.read(p.offset + g0 * gs, q_.data(), q_.size())) return read_error(src_, p.offset + g0 * gs);
  if (!src_.read(p.scale_offset + g0 * 4, s_.data(), groups * 4)) return read_error(src_, p.scale_offset + g0 * 4);
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
  if (!cursor_) cursor_ = std::make_unique<StreamCursor>(src_, cp_, *v_.t, std::max<size_t>(n, size_t(1) << 16));
  auto r = cursor_->read(e0, n, out);
  if (!r) return r;
  if (half_step) std::fill(half_step, half_step + n, 0.0f);
  return true;
}

}  // namespace ckpt::diffimpl
