// The generic half of --at: header fields and raw tensor placements, and the value
// stored there; families with other structures (msgpack) map their own bytes.
#include "ckpt/locate.hpp"

#include "ckpt/le.hpp"
#include "family.hpp"

namespace ckpt {

std::string_view region_kind_name(RegionKind k) {
  switch (k) {
    case RegionKind::header_field:
      return "header_field";
    case RegionKind::header_padding:
      return "header_padding";
    case RegionKind::tensor_data:
      return "tensor_data";
    case RegionKind::tensor_scale:
      return "tensor_scale";
    case RegionKind::trailing:
      return "trailing";
    case RegionKind::past_end:
      return "past_end";
    case RegionKind::unmapped:
      return "unmapped";
    case RegionKind::msgpack_entry:
      return "msgpack_entry";
    case RegionKind::container:
      return "container";
  }
  return "unmapped";
}

std::vector<uint64_t> unravel(uint64_t flat, const std::vector<uint64_t>& shape) {
  std::vector<uint64_t> idx(shape.size(), 0);
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] == 0) return idx;
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return idx;
}

Location locate_placements(const Checkpoint& cp, uint64_t offset) {
  Location loc;
  loc.offset = offset;
  loc.beyond_file = offset >= cp.file_size;
  for (const auto& h : cp.header) {
    if (offset >= h.offset && offset - h.offset < h.size) {
      loc.kind = RegionKind::header_field;
      loc.field = h.name;
      loc.byte_in_element = uint32_t(offset - h.offset);
      loc.region_start = h.offset;
      loc.region_length = h.size;
      return loc;
    }
  }
  const uint64_t hsize = cp.header_size;
  if (offset < hsize) {
    loc.kind = RegionKind::header_padding;
    loc.region_start = 0;
    loc.region_length = hsize;
    return loc;
  }
  const uint64_t gs = uint64_t(cp.config && cp.config->group_size > 0 ? cp.config->group_size : 1);
  for (const auto& t : cp.tensors) {
    const auto& p = t.place;
    if (p.source != 0 || p.storage != Storage::raw) continue;  // not bytes of this file
    if (offset >= p.offset && offset - p.offset < p.nbytes) {
      const uint64_t esize = t.spec.dtype == DType::q8_0 ? 1 : t.spec.dtype == DType::bf16 ? 2 : 4;
      loc.kind = RegionKind::tensor_data;
      loc.tensor = t.spec.name;
      loc.part = t.spec.dtype == DType::q8_0 ? "int8" : std::string(dtype_name(t.spec.dtype));
      loc.element = (offset - p.offset) / esize;
      loc.byte_in_element = uint32_t((offset - p.offset) % esize);
      loc.index = unravel(loc.element, t.spec.shape);
      loc.group = t.spec.dtype == DType::q8_0 ? loc.element / gs : 0;
      loc.region_start = p.offset + loc.element * esize;
      loc.region_length = esize;
      return loc;
    }
    if (p.scale_nbytes && offset >= p.scale_offset && offset - p.scale_offset < p.scale_nbytes) {
      loc.kind = RegionKind::tensor_scale;
      loc.tensor = t.spec.name;
      loc.part = "scale";
      loc.group = (offset - p.scale_offset) / 4;
      loc.byte_in_element = uint32_t((offset - p.scale_offset) % 4);
      loc.element = loc.group * gs;
      loc.index = unravel(loc.element, t.spec.shape);
      loc.region_start = p.scale_offset + loc.group * 4;
      loc.region_length = 4;
      return loc;
    }
  }
  if (cp.expected_size && offset >= *cp.expected_size) {
    loc.kind = offset < cp.file_size ? RegionKind::trailing : RegionKind::past_end;
    loc.region_start = *cp.expected_size;
    loc.region_length = cp.file_size > *cp.expected_size ? cp.file_size - *cp.expected_size : 0;
    return loc;
  }
  loc.kind = offset >= cp.file_size ? RegionKind::past_end : RegionKind::unmapped;
  return loc;
}

namespace {

// The number stored at a raw tensor location, when the file holds it.
std::optional<double> raw_value_at(const Checkpoint& cp, const Location& loc) {
  if (loc.beyond_file || loc.region_length == 0) return std::nullopt;
  if (loc.kind != RegionKind::tensor_data && loc.kind != RegionKind::tensor_scale) return std::nullopt;
  const ByteSource& src = cp.source();
  uint8_t b[4];
  if (loc.part == "int8") {
    if (!src.read(loc.region_start, b, 1)) return std::nullopt;
    return double(int8_t(b[0]));
  }
  if (loc.part == "f32" || loc.part == "scale") {
    if (!src.read(loc.region_start, b, 4)) return std::nullopt;
    return double(load_f32(b));
  }
  const TensorInfo* t = cp.find(loc.tensor);
  if (!t) return std::nullopt;
  float v = 0;
  if (!read_raw_f32(cp, *t, loc.element, 1, &v)) return std::nullopt;
  return double(v);
}

}  // namespace

Location locate(const Checkpoint& cp, uint64_t offset) {
  const core::FormatFamily* fam = core::family_of(cp.format);
  Location loc = fam ? fam->locate(cp, offset) : locate_placements(cp, offset);
  if (!loc.value) loc.value = raw_value_at(cp, loc);
  return loc;
}

Location locate_in_file(const Checkpoint& cp, size_t source, uint64_t offset) {
  const core::FormatFamily* fam = core::family_of(cp.format);
  Location loc;
  if (fam) {
    loc = fam->locate_file(cp, source, offset);
  } else {
    loc.offset = offset;
  }
  // raw_value_at reads the first file: only right there.
  if (!loc.value && source == 0) loc.value = raw_value_at(cp, loc);
  if (source < cp.sources.size() && cp.sources[source]) {
    const std::string& n = cp.sources[source]->name();
    loc.file = n.substr(n.find_last_of('/') + 1);
  }
  return loc;
}

}  // namespace ckpt
