// --at on msgpack files: which element of a data array holds a byte. Arrays of one
// element width are located by arithmetic; mixed ones are walked from their start.
#include "msgpack_internal.hpp"
#include "msgpack_walk.hpp"
#include "ttml.hpp"

namespace ckpt::ttml {

namespace {

std::optional<double> number_of(const MsgHead& h) {
  if (h.is_number()) return h.as_double();
  return std::nullopt;
}

}  // namespace

std::optional<ElementHit> element_at(const ByteSource& src, const TtmlTensor& x, uint64_t offset) {
  if (offset < x.elements_offset) return std::nullopt;
  ElementHit hit;
  if (x.encoding == TtmlTensor::Encoding::raw) {
    if (x.stride == 0) return std::nullopt;
    hit.element = (offset - x.elements_offset) / x.stride;
    if (hit.element >= x.elements_present) return std::nullopt;
    hit.start = x.elements_offset + hit.element * x.stride;
    hit.length = x.stride;
    hit.type = x.element_type;
    uint8_t b[8];
    if (src.read(hit.start, b, x.stride)) hit.value = decode_numpy_element(b, x.element_type, x.stride);
    return hit;
  }
  MsgCursor c(src, x.elements_offset, 64 * 1024);
  uint64_t i = 0;
  if (x.uniform_stride && x.stride > 0) {
    i = (offset - x.elements_offset) / x.stride;
    if (i >= x.elements_present) return std::nullopt;
    c.seek(x.elements_offset + i * x.stride);
  }
  for (; i < x.elements_present; ++i) {
    MsgHead h;
    if (read_head(c, h) != HeadStatus::ok) return std::nullopt;
    if (h.type == MsgType::str || h.type == MsgType::bin || h.type == MsgType::ext) {
      if (!container_fits(h, c.remaining())) return std::nullopt;
      c.advance(h.len);
    } else if (h.type == MsgType::array || h.type == MsgType::map) {
      if (!container_fits(h, c.remaining())) return std::nullopt;
      if (skip_items(c, h.type == MsgType::map ? h.len * 2 : h.len, 4).status != WalkStatus::ok) return std::nullopt;
    }
    if (offset < c.pos()) {
      hit.element = i;
      hit.start = h.offset;
      hit.length = uint32_t(std::min<uint64_t>(c.pos() - h.offset, UINT32_MAX));
      hit.type = std::string(msg_type_name(h.type));
      hit.value = number_of(h);
      return hit;
    }
  }
  return std::nullopt;
}

}  // namespace ckpt::ttml
