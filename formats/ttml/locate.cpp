// --at for tt-train msgpack files: the map header, a key, the [variant, payload] header,
// a payload, or one element of a tensor's data array (with its value).
#include "ckpt/locate.hpp"

#include "ttml.hpp"

namespace ckpt::ttml {

namespace {

void region(Location& loc, uint64_t start, uint64_t end) {
  loc.region_start = start;
  loc.region_length = end > start ? end - start : 0;
  loc.byte_in_element = uint32_t(std::min<uint64_t>(loc.offset - start, UINT32_MAX));
}

// A tensor element, when the offset is inside the elements of a tensor stored in entry i.
bool locate_element(const Checkpoint& cp, const TtmlInfo& info, size_t entry, Location& loc) {
  for (size_t k = 0; k < info.tensors.size(); ++k) {
    const TtmlTensor& x = info.tensors[k];
    if (x.entry != entry) continue;
    auto hit = element_at(cp.source(), x, loc.offset);
    if (!hit) return false;
    const TensorInfo& t = cp.tensors[k];
    loc.kind = RegionKind::tensor_data;
    loc.tensor = t.spec.name;
    loc.part = hit->type;
    loc.element = hit->element;
    loc.index = unravel(hit->element, t.spec.shape);
    region(loc, hit->start, hit->start + hit->length);
    loc.value = hit->value;
    return true;
  }
  return false;
}

}  // namespace

Location locate_msgpack(const Checkpoint& cp, uint64_t offset) {
  Location loc;
  loc.offset = offset;
  loc.beyond_file = offset >= cp.file_size;
  const TtmlInfo* found = info_of(cp);
  if (!found) return loc;
  const TtmlInfo& info = *found;
  if (offset >= cp.file_size) {
    loc.kind = RegionKind::past_end;
    return loc;
  }
  if (offset < info.map_header_bytes) {
    loc.kind = RegionKind::header_field;
    loc.field = "map header";
    region(loc, 0, info.map_header_bytes);
    return loc;
  }
  for (size_t i = 0; i < info.entries.size(); ++i) {
    const TtmlEntry& e = info.entries[i];
    if (offset < e.key_offset || offset >= e.end) continue;
    if (locate_element(cp, info, i, loc)) return loc;
    loc.kind = RegionKind::msgpack_entry;
    loc.field = e.key;
    if (offset < e.value_offset) {
      loc.part = "key";
      region(loc, e.key_offset, e.value_offset);
    } else if (offset < e.payload_offset) {
      loc.part = "[variant, payload] header";
      region(loc, e.value_offset, e.payload_offset);
    } else if ((e.type == MsgType::array || e.type == MsgType::map || e.type == MsgType::str ||
                e.type == MsgType::bin) &&
               offset < e.data_offset) {
      loc.part = std::string(msg_type_name(e.type)) + " header";
      region(loc, e.payload_offset, e.data_offset);
    } else {
      loc.part = "payload (" + std::string(msg_type_name(e.type)) + ")";
      region(loc, e.payload_offset, e.end);
      if (e.float_value) loc.value = e.float_value;
    }
    return loc;
  }
  if (info.parsed_end > 0 && offset >= info.parsed_end) {
    loc.kind = RegionKind::trailing;
    region(loc, info.parsed_end, cp.file_size);
    return loc;
  }
  loc.kind = RegionKind::unmapped;
  return loc;
}

}  // namespace ckpt::ttml
