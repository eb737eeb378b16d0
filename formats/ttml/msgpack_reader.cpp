// tt-train msgpack weights: detection, the staged open (index, tensors, names), and the
// value stream (msgpack numbers of any width, or raw numpy bytes, as fp32 chunks).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ckpt/tensor_stream.hpp"
#include "msgpack_internal.hpp"
#include "msgpack_walk.hpp"
#include "ttml.hpp"

namespace ckpt::ttml {

// A top-level map whose first key is a string. A v0 header can start with a fixmap byte
// (dim = 128 is 0x80), but its second byte is then dim's high byte, never a string
// header for a plausible dim; the first value is not looked at, so that a file whose
// first value is broken is still read, and gets findings with offsets.
bool looks_like_ttml_msgpack(const ByteSource& src) {
  MsgCursor c(src, 0, 64);  // a map head and a string head: a few bytes
  MsgHead h;
  if (read_head(c, h) != HeadStatus::ok || h.type != MsgType::map || h.len == 0) return false;
  return read_head(c, h) == HeadStatus::ok && h.type == MsgType::str;
}

Checkpoint open_msgpack(const ByteSource& src, const OpenOptions& opt) {
  Checkpoint cp;
  cp.format = msgpack_weights;
  cp.file_size = src.size();
  cp.limits = opt.limits;
  auto info = std::make_shared<TtmlInfo>();
  index_ttml(src, cp, *info);
  group_ttml_tensors(cp, *info);
  name_ttml_tensors(cp, *info);
  cp.family_data = std::move(info);
  return cp;
}

double decode_numpy_element(const uint8_t* p, const std::string& type, uint32_t size) {
  const bool big = !type.empty() && type[0] == '>';
  char kind = 0;
  for (char ch : type)
    if (ch >= 'a' && ch <= 'z') {
      kind = ch;
      break;
    }
  uint8_t b[8] = {};
  std::memcpy(b, p, size);
  if (big) std::reverse(b, b + size);
  uint64_t u = 0;
  std::memcpy(&u, b, size);  // little-endian host (checked in CMake)
  if (kind == 'f' && size == 8) {
    double d;
    std::memcpy(&d, b, 8);
    return d;
  }
  if (kind == 'f' && size == 4) {
    float f;
    std::memcpy(&f, b, 4);
    return f;
  }
  if (kind == 'f' && size == 2) {
    // IEEE half, widened exactly.
    const uint32_t h = uint32_t(u), e = (h >> 10) & 0x1f, m = h & 0x3ff;
    const double sgn = (h & 0x8000) ? -1.0 : 1.0;
    if (e == 0) return sgn * std::ldexp(double(m), -24);
    if (e == 31) return m ? double(NAN) : sgn * double(INFINITY);
    return sgn * std::ldexp(double(m | 0x400), int(e) - 25);
  }
  if (kind == 'i') {
    const int shift = int(64 - 8 * size);
    return double(int64_t(u << shift) >> shift);
  }
  return double(u);  // 'u' and 'b'
}

namespace {

Result<uint64_t> stream_raw(const ByteSource& src, const TtmlTensor& x, const F32Sink& sink, size_t chunk_elems) {
  const std::string& ty = x.element_type;
  const uint32_t size = x.stride;
  std::vector<uint8_t> raw(chunk_elems * size);
  std::vector<float> out(chunk_elems);
  for (uint64_t i = 0; i < x.elements_present; i += chunk_elems) {
    const size_t n = size_t(std::min<uint64_t>(chunk_elems, x.elements_present - i));
    const uint64_t off = x.elements_offset + i * size;
    if (!src.read(off, raw.data(), n * size))
      return Error{ErrorCode::io_read, "cannot read " + src.name() + " at byte " + std::to_string(off), off};
    for (size_t k = 0; k < n; ++k) out[k] = float(decode_numpy_element(raw.data() + k * size, ty, size));
    if (!sink(i, out.data(), n)) return i + n;
  }
  return x.elements_present;
}

Result<uint64_t> stream_array(const ByteSource& src, const TtmlTensor& x, const F32Sink& sink, size_t chunk_elems) {
  MsgCursor c(src, x.elements_offset);
  std::vector<float> out(size_t(std::min<uint64_t>(chunk_elems, std::max<uint64_t>(x.elements_present, 1))));
  for (uint64_t i = 0; i < x.elements_present; i += out.size()) {
    const size_t n = size_t(std::min<uint64_t>(out.size(), x.elements_present - i));
    float* dst = out.data();
    // Non-numbers (reported as ttml.non_number when indexing) stream as NaN.
    auto r = walk_elements(
        c, n, 3, [&](uint64_t k, MsgType, double v, uint64_t) { dst[k] = float(v); },
        [&](uint64_t k, const MsgHead&) { dst[k] = NAN; });
    if (r.status != WalkStatus::ok)
      return Error{ErrorCode::io_read, "cannot decode " + x.name + " at byte " + std::to_string(r.fail_offset),
                   r.fail_offset};
    if (!sink(i, dst, n)) return i + n;
  }
  return x.elements_present;
}

}  // namespace

Result<uint64_t> stream_msgpack(const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink, size_t chunk_elems) {
  const ByteSource& src = cp.source(t.place.source);
  const TtmlInfo* info = info_of(cp);
  const TtmlTensor* x = info ? info->find_tensor(t.spec.name) : nullptr;
  if (!x) return Error{ErrorCode::stream_dtype, t.spec.name + ": not a tensor of this msgpack file", {}};
  chunk_elems = std::max<size_t>(chunk_elems, 1);
  if (x->encoding == TtmlTensor::Encoding::raw) {
    if (x->stride == 0)
      return Error{ErrorCode::stream_dtype, t.spec.name + ": numpy type " + x->element_type + " unsupported", {}};
    return stream_raw(src, *x, sink, chunk_elems);
  }
  return stream_array(src, *x, sink, chunk_elems);
}

}  // namespace ckpt::ttml
