// --at inside torch.save files. Zip records are named field by field (APPNOTE 4.3.7,
// 4.3.12, 4.3.16); the variable parts' lengths are read again from the record, so the
// name and extra field are found exactly as they are stored.
#include "torch_locate.hpp"

#include <algorithm>
#include <span>
#include <string>

#include "pickle_opcodes.hpp"
#include "pickle_reader.hpp"
#include "pickle_walk.hpp"
#include "torch_dtype.hpp"
#include "zip_internal.hpp"

namespace ckpt::torch {

namespace {

struct Field {
  const char* name;
  uint32_t at, size;
};

constexpr Field kLocalFields[] = {{"signature", 0, 4},    {"version needed", 4, 2},     {"flags", 6, 2},
                                  {"method", 8, 2},       {"modification time", 10, 2}, {"modification date", 12, 2},
                                  {"crc-32", 14, 4},      {"compressed size", 18, 4},   {"uncompressed size", 22, 4},
                                  {"name length", 26, 2}, {"extra length", 28, 2}};
constexpr Field kCentralFields[] = {{"signature", 0, 4},
                                    {"version made by", 4, 2},
                                    {"version needed", 6, 2},
                                    {"flags", 8, 2},
                                    {"method", 10, 2},
                                    {"modification time", 12, 2},
                                    {"modification date", 14, 2},
                                    {"crc-32", 16, 4},
                                    {"compressed size", 20, 4},
                                    {"uncompressed size", 24, 4},
                                    {"name length", 28, 2},
                                    {"extra length", 30, 2},
                                    {"comment length", 32, 2},
                                    {"disk number start", 34, 2},
                                    {"internal attributes", 36, 2},
                                    {"external attributes", 38, 4},
                                    {"local header offset", 42, 4}};
constexpr Field kEocdFields[] = {{"signature", 0, 4},
                                 {"disk number", 4, 2},
                                 {"central directory disk", 6, 2},
                                 {"entries on this disk", 8, 2},
                                 {"entries", 10, 2},
                                 {"central directory size", 12, 4},
                                 {"central directory offset", 16, 4},
                                 {"comment length", 20, 2}};

void region(Location& loc, uint64_t start, uint64_t length) {
  loc.region_start = start;
  loc.region_length = length;
  loc.byte_in_element = uint32_t(std::min<uint64_t>(loc.offset - start, UINT32_MAX));
}

void container(Location& loc, std::string structure, std::string part, uint64_t start, uint64_t length) {
  loc.kind = RegionKind::container;
  loc.field = std::move(structure);
  loc.part = std::move(part);
  region(loc, start, length);
}

// A record of fixed fields followed by variable parts (name, extra, comment).
bool in_record(Location& loc, const std::string& structure, uint64_t base, std::span<const Field> fields,
               uint64_t fixed, std::initializer_list<std::pair<const char*, uint64_t>> variable) {
  if (loc.offset < base) return false;
  const uint64_t rel = loc.offset - base;
  for (const Field& f : fields)
    if (rel >= f.at && rel < f.at + f.size) {
      container(loc, structure, f.name, base + f.at, f.size);
      return true;
    }
  uint64_t at = fixed;
  for (const auto& [name, length] : variable) {
    if (rel >= at && rel - at < length) {
      container(loc, structure, name, base + at, length);
      return true;
    }
    at += length;
  }
  return false;
}

uint64_t read_u16(const ByteSource& src, uint64_t at) {
  uint8_t b[2];
  return src.read(at, b, 2) ? zip::u16(b) : 0;
}

// An opcode of a pickle whose offsets are file offsets, with what it does for the model.
void pickle_opcode(Location& loc, const ByteSource& src, const PickleResult& p, const TorchModel* model,
                   const std::string& structure, uint64_t window_end) {
  if (p.complete && loc.offset >= p.end) {
    container(loc, structure, "bytes after the pickle's STOP", p.end, window_end > p.end ? window_end - p.end : 0);
    return;
  }
  auto span = opcode_at(src, p.begin, std::min(window_end, p.end ? p.end : window_end), loc.offset);
  if (!span) {
    container(loc, structure, "pickle bytes (not on an opcode boundary the walk reaches)", p.begin,
              window_end > p.begin ? window_end - p.begin : 0);
    return;
  }
  std::string part = "opcode " + std::string(op::name(span->opcode));
  // A counted argument (BINUNICODE, LONG1, ...) has a length prefix before its data.
  const bool counted = span->argument_offset > span->offset + 1;
  if (counted && loc.offset >= span->argument_offset)
    part += " (argument data)";
  else if (counted && loc.offset > span->offset)
    part += " (argument length)";
  else if (loc.offset > span->offset)
    part += " (argument)";
  for (const auto& g : p.globals)
    if (g.offset == span->offset && !g.dynamic)
      part += ", imports " + g.module + "." + g.name + " (" + std::string(verdict_name(g.verdict)) + ")";
  if (model)
    for (const auto& t : model->tensors)
      if (t.offset == span->offset) {
        part += ", rebuilds " + t.path;
        break;
      }
  container(loc, structure, std::move(part), span->offset, span->length);
}

// The multi-dimensional index a strided view puts at storage element e, if any (strides
// taken largest first, as a non-overlapping view nests them).
std::optional<std::vector<uint64_t>> strided_index(const StridedTensor& s, uint64_t e) {
  if (e < s.element_offset || s.shape.size() != s.stride.size()) return std::nullopt;
  uint64_t rest = e - s.element_offset;
  std::vector<size_t> order(s.shape.size());
  for (size_t d = 0; d < order.size(); ++d) order[d] = d;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s.stride[a] > s.stride[b]; });
  std::vector<uint64_t> idx(s.shape.size(), 0);
  for (size_t d : order) {
    if (s.shape[d] == 0) return std::nullopt;
    if (s.stride[d] == 0) continue;
    idx[d] = std::min(rest / s.stride[d], s.shape[d] - 1);
    rest -= idx[d] * s.stride[d];
  }
  if (rest != 0) return std::nullopt;
  return idx;
}

uint64_t ravel(const std::vector<uint64_t>& idx, const std::vector<uint64_t>& shape) {
  uint64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + idx[d];
  return flat;
}

// Bytes of a storage: its tensors' elements, or a note that none views them.
void storage_bytes(const Checkpoint& cp, const TorchFile& f, Location& loc, const std::string& structure,
                   const std::string& key, uint64_t start, uint64_t length) {
  if (locate_tensor_bytes(cp, f.source, loc.offset, &f.strided, loc)) {
    loc.field = structure;
    return;
  }
  container(loc, structure, "bytes of storage " + key + " that no tensor views", start, length);
}

// The data descriptor after a member's data (flag bit 3, which torch's writer sets):
// an optional signature, CRC-32, then the sizes (8 bytes each for ZIP64 members).
bool data_descriptor(Location& loc, const ByteSource& src, const ZipEntry& e) {
  const uint64_t at = e.data_offset + e.compressed_size;
  uint8_t sig[4];
  const bool has_sig = src.read(at, sig, 4) && zip::u32(sig) == zip::kDescriptorSig;
  const uint32_t w = e.zip64 ? 8 : 4, s = has_sig ? 4 : 0;
  const Field with_sig[] = {
      {"signature", 0, 4}, {"crc-32", 4, 4}, {"compressed size", 8, w}, {"uncompressed size", 8 + w, w}};
  const Field without[] = {{"crc-32", 0, 4}, {"compressed size", 4, w}, {"uncompressed size", 4 + w, w}};
  return in_record(loc, "zip data descriptor of " + e.name, at,
                   has_sig ? std::span<const Field>(with_sig) : std::span<const Field>(without), s + 4 + 2 * w, {});
}

Location locate_zip(const Checkpoint& cp, const TorchFile& f, const TorchZipCheckpoint& z, Location loc) {
  const ByteSource& src = cp.source(f.source);
  const ZipArchive& a = z.zip;
  for (size_t i = 0; i < a.entries.size(); ++i) {
    const ZipEntry& e = a.entries[i];
    if (e.local_ok && loc.offset >= e.local_header_offset &&
        loc.offset < e.local_header_offset + zip::kLocalSize + 0xFFFF * 2) {
      const uint64_t n = read_u16(src, e.local_header_offset + 26), m = read_u16(src, e.local_header_offset + 28);
      const std::string extra = e.alignment_padding ? "extra field (torch's 'FB' alignment padding)" : "extra field";
      if (in_record(loc, "zip local header of " + e.name, e.local_header_offset, kLocalFields, zip::kLocalSize,
                    {{"name", n}, {extra.c_str(), m}}))
        return loc;
    }
    if (e.data_descriptor() && e.data_in_file && loc.offset >= e.data_offset + e.compressed_size &&
        data_descriptor(loc, src, e))
      return loc;
    if (!e.data_in_file || loc.offset < e.data_offset || loc.offset - e.data_offset >= e.compressed_size) continue;
    if (e.method != 0) {
      container(loc, e.name, "deflated data (what it holds has no fixed file offset)", e.data_offset,
                e.compressed_size);
      return loc;
    }
    if (i == z.data_pkl && z.pickle_in_place) {
      pickle_opcode(loc, src, z.pickle, &z.model, e.name, e.data_offset + e.uncompressed_size);
      return loc;
    }
    for (const auto& mp : z.other_pickles)
      if (mp.entry == i && mp.in_place) {
        pickle_opcode(loc, src, mp.pickle, nullptr, e.name, e.data_offset + e.uncompressed_size);
        return loc;
      }
    for (const auto& sd : z.storages)
      if (sd.zip_entry == int64_t(i)) {
        storage_bytes(cp, f, loc, e.name, sd.key, e.data_offset, e.compressed_size);
        return loc;
      }
    const bool version = e.name.ends_with("/version"), byteorder = e.name.ends_with("/byteorder");
    container(loc, e.name,
              version     ? "version record"
              : byteorder ? "byteorder record"
                          : "member data",
              e.data_offset, e.compressed_size);
    return loc;
  }
  if (loc.offset >= a.cd_offset && loc.offset - a.cd_offset < a.cd_size) {
    // Central records in order: the last one starting at or before the offset.
    const ZipEntry* hit = nullptr;
    for (const auto& e : a.entries)
      if (e.central_offset <= loc.offset && (!hit || e.central_offset > hit->central_offset)) hit = &e;
    if (hit) {
      const uint64_t c = hit->central_offset;
      if (in_record(loc, "zip central directory record of " + hit->name, c, kCentralFields, zip::kCentralSize,
                    {{"name", read_u16(src, c + 28)},
                     {"extra field", read_u16(src, c + 30)},
                     {"comment", read_u16(src, c + 32)}}))
        return loc;
    }
    container(loc, "zip central directory", "bytes no record names", a.cd_offset, a.cd_size);
    return loc;
  }
  if (a.zip64_eocd_offset && loc.offset >= *a.zip64_eocd_offset &&
      loc.offset < *a.zip64_eocd_offset + zip::kZip64EocdSize) {
    container(loc, "zip64 end of central directory record", "record", *a.zip64_eocd_offset, zip::kZip64EocdSize);
    return loc;
  }
  if (a.zip64_locator_offset && loc.offset >= *a.zip64_locator_offset &&
      loc.offset < *a.zip64_locator_offset + zip::kZip64LocatorSize) {
    container(loc, "zip64 end of central directory locator", "record", *a.zip64_locator_offset, zip::kZip64LocatorSize);
    return loc;
  }
  if (in_record(loc, "zip end of central directory record", a.eocd_offset, kEocdFields, zip::kEocdSize,
                {{"comment", read_u16(src, a.eocd_offset + 20)}}))
    return loc;
  loc.kind = RegionKind::unmapped;
  return loc;
}

Location locate_legacy(const Checkpoint& cp, const TorchFile& f, const LegacyCheckpoint& l, Location loc) {
  const ByteSource& src = cp.source(f.source);
  const std::pair<const char*, const PickleResult*> pickles[] = {{"legacy magic number pickle", &l.magic},
                                                                 {"legacy protocol version pickle", &l.protocol},
                                                                 {"legacy sys_info pickle", &l.sys_info},
                                                                 {"legacy object pickle", &l.main},
                                                                 {"legacy storage keys pickle", &l.keys}};
  for (const auto& [what, p] : pickles)
    if (loc.offset >= p->begin && loc.offset < p->end) {
      pickle_opcode(loc, src, *p, p == &l.main ? &l.model : nullptr, what, p->end);
      return loc;
    }
  for (const auto& r : l.records) {
    const std::string structure = "legacy storage record " + r.key;
    if (loc.offset >= r.header_offset && loc.offset < r.header_offset + 8) {
      container(loc, structure, "element count (int64 little-endian)", r.header_offset, 8);
      return loc;
    }
    if (loc.offset >= r.data_offset && loc.offset - r.data_offset < r.nbytes) {
      storage_bytes(cp, f, loc, structure, r.key, r.data_offset, r.nbytes);
      return loc;
    }
  }
  if (l.end_offset && loc.offset >= l.end_offset) {
    loc.kind = RegionKind::trailing;
    loc.region_start = l.end_offset;
    loc.region_length = src.size() - l.end_offset;
    return loc;
  }
  loc.kind = RegionKind::unmapped;
  return loc;
}

}  // namespace

bool locate_tensor_bytes(const Checkpoint& cp, uint32_t source, uint64_t offset,
                         const std::vector<StridedTensor>* strided, Location& loc) {
  bool found = false;
  auto hit = [&](const TensorInfo& t, uint64_t element, uint64_t start, uint32_t width) {
    if (found) {
      loc.shared_with.emplace_back(t.spec.name, element);
      return;
    }
    found = true;
    loc.kind = RegionKind::tensor_data;
    loc.tensor = t.spec.name;
    loc.part = std::string(dtype_name(t.spec.dtype));
    loc.element = element;
    loc.index = unravel(element, t.spec.shape);
    region(loc, start, width);
    // One element read as a raw tensor of its own: strided views are not raw placements.
    TensorInfo one = t;
    one.place.storage = Storage::raw;
    one.place.source = source;
    one.place.offset = start;
    float v = 0;
    if (start + width <= cp.source(source).size())
      if (auto r = read_raw_f32(cp, one, 0, 1, &v); r) loc.value = double(v);
  };
  for (const TensorInfo& t : cp.tensors) {
    const uint32_t w = dtype_width(t.spec.dtype);
    if (t.place.source != source || t.place.storage != Storage::raw || w == 0 || t.spec.dtype == DType::q8_0) continue;
    if (offset < t.place.offset || offset - t.place.offset >= t.place.nbytes) continue;
    const uint64_t e = (offset - t.place.offset) / w;
    if (e < t.spec.numel) hit(t, e, t.place.offset + e * w, w);
  }
  if (strided)
    for (const StridedTensor& s : *strided) {
      const uint32_t w = dtype_size(s.dtype);
      if (s.source != source || w == 0 || offset < s.storage_offset || offset - s.storage_offset >= s.storage_bytes)
        continue;
      const uint64_t e = (offset - s.storage_offset) / w;
      if (auto idx = strided_index(s, e)) hit(cp.tensors[s.tensor], ravel(*idx, s.shape), s.storage_offset + e * w, w);
    }
  return found;
}

Location locate_bare_pickle(const Checkpoint& cp, uint64_t offset) {
  Location loc;
  loc.offset = offset;
  const ByteSource& src = cp.source();
  loc.beyond_file = offset >= src.size();
  if (loc.beyond_file) {
    loc.kind = RegionKind::past_end;
    return loc;
  }
  // The checkpoint keeps the findings only: read again (bounded by the unpickler's limits).
  auto p = unpickle(src, 0, src.size());
  if (!p) return loc;
  if (offset >= p->end) {
    loc.kind = RegionKind::trailing;
    loc.region_start = p->end;
    loc.region_length = src.size() - p->end;
    return loc;
  }
  pickle_opcode(loc, src, *p, nullptr, "pickle", p->end);
  return loc;
}

Location locate_torch_file(const Checkpoint& cp, const TorchFile& f, uint64_t offset) {
  Location loc;
  loc.offset = offset;
  const uint64_t size = cp.source(f.source).size();
  loc.beyond_file = offset >= size;
  if (offset >= size) {
    loc.kind = RegionKind::past_end;
    return loc;
  }
  if (f.is_zip()) return locate_zip(cp, f, std::get<TorchZipCheckpoint>(f.read), std::move(loc));
  return locate_legacy(cp, f, std::get<LegacyCheckpoint>(f.read), std::move(loc));
}

}  // namespace ckpt::torch
