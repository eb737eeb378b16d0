// --at for tt-train flatbuffer checkpoints: a byte of a .tensorbin (its size prefix, its
// header, or an element: tile, face, position inside the face, padding or not, value), of
// a tar (member headers, members' bytes located in turn), or of metadata (the pair whose
// key or value table it is).
#include <fmt/format.h>

#include "fb_internal.hpp"
#include "tile_codec.hpp"

namespace ckpt::ttml {

namespace {

void region(Location& loc, uint64_t start, uint64_t length) {
  loc.region_start = start;
  loc.region_length = length;
  loc.byte_in_element = uint32_t(std::min<uint64_t>(loc.offset - start, UINT32_MAX));
}

// The value of the element a byte belongs to, read from the file.
std::optional<double> element_value(const ByteSource& src, const ShardGeometry& g, uint64_t shard_start,
                                    const ShardByte& b, uint64_t byte) {
  if (b.exponent) {
    uint8_t e;
    if (!src.read(shard_start + b.start, &e, 1)) return std::nullopt;
    return double(e);
  }
  if (g.dtype == TtDType::bfloat8_b || g.dtype == TtDType::bfloat4_b) {
    uint8_t code, e;
    const uint64_t tb = tile_bytes(g.dtype);
    const uint64_t exp_at = shard_start + b.tile * tb + b.face * kFace + b.face_row;
    if (!src.read(shard_start + b.start, &code, 1) || !src.read(exp_at, &e, 1)) return std::nullopt;
    if (g.dtype == TtDType::bfloat8_b) return double(bfp_value(code, e, 7));
    (void)byte;
    return double(bfp_value(b.face_col % 2 ? code >> 4 : code & 0xF, e, 3));
  }
  uint8_t raw[4];
  const uint32_t w = element_bytes(g.dtype);
  if (!src.read(shard_start + b.start, raw, w)) return std::nullopt;
  float v;
  decode_plain(g.dtype, raw, 1, &v);
  return double(v);
}

// The logical (full-tensor) index of an element of shard `s`, when it is not padding.
std::optional<uint64_t> full_index(const FbTensor& x, size_t s, const ShardByte& b, std::vector<uint64_t>& index) {
  const ShardGeometry& g = *x.header.geometry;
  const auto& S = g.shape;
  const size_t R = S.size();
  if (b.padding) return std::nullopt;
  std::vector<uint64_t> local(R, 0);
  if (R >= 1) local[R - 1] = b.col;
  if (R >= 2) local[R - 2] = b.row;
  uint64_t slice = b.slice;
  for (size_t d = R >= 2 ? R - 2 : 0; d-- > 0;) local[d] = slice % S[d], slice /= S[d];
  // Which block of the grid shard s fills.
  size_t block = 0;
  while (block < x.grid.shard_at.size() && x.grid.shard_at[block] != s) ++block;
  if (block == x.grid.shard_at.size()) return std::nullopt;  // a replica: the representative's element
  std::vector<uint64_t> bidx(R, 0);
  for (size_t d = R; d-- > 0;) bidx[d] = block % x.grid.blocks[d], block /= x.grid.blocks[d];
  index.assign(R, 0);
  uint64_t flat = 0;
  for (size_t d = 0; d < R; ++d) {
    index[d] = bidx[d] * S[d] + local[d];
    flat = flat * x.grid.full_shape[d] + index[d];
  }
  return flat;
}

// A byte of the .tensorbin `x`, which starts at x.header.base of `src`. False when the
// byte is not inside it.
bool locate_in_tensorbin(const ByteSource& src, const FbTensor& x, const std::string& tensor, Location& loc) {
  const TensorbinHeader& h = x.header;
  const uint64_t off = loc.offset;
  if (off < h.base || off - h.base >= h.file_size) return false;
  if (off < h.base + 8) {
    loc.kind = RegionKind::header_field;
    loc.field = x.file + ": header_size (u64)";
    region(loc, h.base, 8);
    loc.value = double(h.header_size);
    return true;
  }
  if (off < h.data_start || !h.geometry) {
    loc.kind = RegionKind::header_field;
    loc.field = x.file + ": flatbuffer header (ttnn.flatbuffer.Tensor)";
    region(loc, h.base + 8, std::min(h.header_size, h.file_size - 8));
    return true;
  }
  const ShardGeometry& g = *h.geometry;
  for (size_t s = 0; s < h.shards.size(); ++s) {
    const TensorbinShard& sh = h.shards[s];
    const uint64_t start = h.data_start + sh.offset;
    if (!sh.has_buffer || off < start || off - start >= std::min(sh.size, g.bytes)) continue;
    const ShardByte b = shard_byte(g, off - start);
    loc.kind = b.exponent ? RegionKind::tensor_scale : RegionKind::tensor_data;
    loc.tensor = tensor;
    std::string where;
    if (g.tile)
      where =
          fmt::format("tile {} (tile row {}, tile column {}{}), face {} {}, row {} column {} of the face", b.tile,
                      (b.tile % std::max<uint64_t>(g.tiles_per_slice(), 1)) / std::max<uint64_t>(g.tiles_per_row(), 1),
                      b.tile % std::max<uint64_t>(g.tiles_per_row(), 1),
                      g.slices > 1 ? fmt::format(", slice {}", b.slice) : "", b.face,
                      std::string_view(b.face == 0   ? "(top left)"
                                       : b.face == 1 ? "(top right)"
                                       : b.face == 2 ? "(bottom left)"
                                                     : "(bottom right)"),
                      b.face_row, b.face_col);
    const std::string shard = h.shards.size() > 1 ? fmt::format("shard {}, ", s) : "";
    if (b.exponent) {
      loc.part = fmt::format("{} shared exponent, {}{}", tt_dtype_name(h.data_type), shard, where);
    } else {
      loc.part = fmt::format("{} {}{}{}", tt_dtype_name(h.data_type), shard, where.empty() ? "row-major" : where,
                             b.padding ? fmt::format(" (tile padding: padded element [{}, {}] of the {}x{} matrix)",
                                                     b.row, b.col, g.padded_rows, g.padded_cols)
                                       : "");
      if (g.dtype == TtDType::bfloat4_b)
        loc.part += b.face_col % 2 ? " (high nibble)" : " (low nibble; the high nibble is the next element)";
      if (auto flat = full_index(x, s, b, loc.index)) loc.element = *flat;
    }
    region(loc, start + b.start, b.element_bytes);
    loc.value = element_value(src, g, start, b, off);
    return true;
  }
  loc.kind = RegionKind::unmapped;
  loc.field = x.file + ": data region, outside every shard";
  return true;
}

// A byte of the metadata flatbuffer: a pair's key or value table.
bool locate_in_metadata(const FbInfo& info, Location& loc) {
  const uint64_t off = loc.offset;
  if (info.metadata_name.empty() || off < info.metadata_offset || off - info.metadata_offset >= info.metadata_size)
    return false;
  loc.kind = RegionKind::header_field;
  for (const auto& p : info.metadata.pairs) {
    const uint64_t key_end = p.key_offset + 4 + p.key.size() + 1;
    if (p.key_offset && off >= p.key_offset && off < key_end) {
      loc.field = info.metadata_name + ": key \"" + p.key + "\"";
      loc.part = "string";
      region(loc, p.key_offset, key_end - p.key_offset);
      return true;
    }
    if (p.value_offset && off >= p.value_offset && off < p.value_offset + 4) {
      loc.field = info.metadata_name + ": value of \"" + p.key + "\" (" + std::string(meta_kind_name(p.kind)) + ")";
      loc.part = p.preview;
      region(loc, p.value_offset, 4);
      return true;
    }
    if (off >= p.offset && off < p.offset + 4) {
      loc.field = info.metadata_name + ": pair \"" + p.key + "\"";
      loc.part = "KeyValuePair table";
      region(loc, p.offset, 4);
      return true;
    }
  }
  loc.field = info.metadata_name + ": flatbuffer structure (root, vtables, vectors, value bytes)";
  region(loc, info.metadata_offset, info.metadata_size);
  return true;
}

}  // namespace

Location locate_fb(const Checkpoint& cp, uint64_t offset) {
  Location loc;
  loc.offset = offset;
  loc.beyond_file = offset >= cp.file_size;
  const FbInfo* info = fb_info_of(cp);
  if (!info) return loc;
  if (offset >= cp.file_size) {
    loc.kind = RegionKind::past_end;
    return loc;
  }
  if (info->container == FbContainer::tensorbin) {
    if (!info->tensors.empty() && !cp.tensors.empty() &&
        locate_in_tensorbin(cp.source(0), info->tensors[0], cp.tensors[0].spec.name, loc))
      return loc;
    return loc;
  }
  if (info->container == FbContainer::tar) {
    for (const auto& m : info->tar.members) {
      if (offset >= m.header_offset && offset < m.data_offset) {
        loc.kind = RegionKind::header_field;
        loc.field = "tar header of " + m.name;
        region(loc, m.header_offset, kTarBlock);
        return loc;
      }
      if (offset < m.data_offset || offset - m.data_offset >= m.size) continue;
      for (size_t i = 0; i < info->tensors.size(); ++i) {
        const FbTensor& x = info->tensors[i];
        if (x.present && x.source == 0 && x.header.base == m.data_offset &&
            locate_in_tensorbin(cp.source(0), x, cp.tensors[i].spec.name, loc))
          return loc;
      }
      if (locate_in_metadata(*info, loc)) return loc;
      loc.kind = RegionKind::unmapped;
      loc.field = "tar member " + m.name;
      region(loc, m.data_offset, m.size);
      return loc;
    }
    loc.kind = offset >= info->tar.end ? RegionKind::trailing : RegionKind::unmapped;
    loc.field = offset >= info->tar.end ? "after the archive's last member" : "tar padding";
    return loc;
  }
  // A folder or its metadata file: offsets are the metadata's.
  if (!locate_in_metadata(*info, loc)) loc.kind = RegionKind::unmapped;
  return loc;
}

}  // namespace ckpt::ttml
