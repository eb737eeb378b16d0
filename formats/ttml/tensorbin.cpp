// The .tensorbin header: the size prefix, the flatbuffer (verified by the flatbuffers
// library, located by fb_check when it fails), the spec turned into a shard geometry, and
// every shard record checked against the file.
#include "tensorbin.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>

#include "ckpt/checked.hpp"
#include "fb_check.hpp"
#include "ttml_fb/tensor_2025_06_generated.h"
#include "ttml_fb/tensor_generated.h"

namespace ckpt::ttml {

std::string_view tt_dtype_name(int64_t v) {
  static constexpr std::string_view names[] = {"BFLOAT16",  "FLOAT32", "UINT32", "BFLOAT8_B",
                                               "BFLOAT4_B", "UINT8",   "UINT16", "INT32"};
  return v >= 0 && v < kTtDTypeCount ? names[v] : "?";
}

DType to_dtype(TtDType d) {
  switch (d) {
    case TtDType::bfloat16:
      return DType::bf16;
    case TtDType::float32:
      return DType::f32;
    case TtDType::uint32:
      return DType::u32;
    case TtDType::bfloat8_b:
      return DType::bfp8_b;
    case TtDType::bfloat4_b:
      return DType::bfp4_b;
    case TtDType::uint8:
      return DType::u8;
    case TtDType::uint16:
      return DType::u16;
    case TtDType::int32:
      return DType::i32;
  }
  return DType::f32;
}

uint32_t element_bytes(TtDType d) {
  switch (d) {
    case TtDType::uint8:
      return 1;
    case TtDType::bfloat16:
    case TtDType::uint16:
      return 2;
    case TtDType::float32:
    case TtDType::uint32:
    case TtDType::int32:
      return 4;
    case TtDType::bfloat8_b:
    case TtDType::bfloat4_b:
      return 0;
  }
  return 0;
}

bool is_block_float(TtDType d) { return d == TtDType::bfloat8_b || d == TtDType::bfloat4_b; }

uint32_t tile_bytes(TtDType d) {
  if (d == TtDType::bfloat8_b) return 64 + 1024;
  if (d == TtDType::bfloat4_b) return 64 + 512;
  return element_bytes(d) * uint32_t(kTile * kTile);
}

namespace {

// Position of (r, c) inside a tile: face-major, each face row-major.
uint64_t in_tile_index(uint64_t r, uint64_t c) {
  const uint64_t face = ((r % kTile) / kFace) * 2 + (c % kTile) / kFace;
  return face * kFace * kFace + (r % kFace) * kFace + c % kFace;
}

}  // namespace

uint64_t ShardGeometry::byte_of(uint64_t slice, uint64_t r, uint64_t c) const {
  if (!tile) return ((slice * padded_rows + r) * padded_cols + c) * element_bytes(dtype);
  const uint64_t t = slice * tiles_per_slice() + (r / kTile) * tiles_per_row() + c / kTile;
  const uint64_t base = t * tile_bytes(dtype), i = in_tile_index(r, c);
  if (dtype == TtDType::bfloat8_b) return base + 64 + i;
  if (dtype == TtDType::bfloat4_b) return base + 64 + i / 2;
  return base + i * element_bytes(dtype);
}

uint64_t ShardGeometry::exponent_byte_of(uint64_t slice, uint64_t r, uint64_t c) const {
  const uint64_t t = slice * tiles_per_slice() + (r / kTile) * tiles_per_row() + c / kTile;
  return t * tile_bytes(dtype) + in_tile_index(r, c) / kFace;
}

ShardByte shard_byte(const ShardGeometry& g, uint64_t byte) {
  ShardByte b;
  if (!g.tile) {
    const uint32_t w = element_bytes(g.dtype);
    const uint64_t e = byte / w;
    b.element_bytes = w;
    b.byte_in_element = uint32_t(byte % w);
    b.start = e * w;
    b.col = e % g.padded_cols;
    b.row = (e / g.padded_cols) % g.padded_rows;
    b.slice = e / g.padded_cols / g.padded_rows;
  } else {
    const uint64_t tb = tile_bytes(g.dtype);
    b.tile = byte / tb;
    uint64_t in = byte % tb, index = 0;
    if (is_block_float(g.dtype) && in < 64) {
      b.exponent = true;
      b.face = uint32_t(in / kFace);
      b.face_row = uint32_t(in % kFace);
      b.face_col = 0;
      b.start = b.tile * tb + in;
      b.element_bytes = 1;
      index = in * kFace;  // the face row's first element
    } else if (g.dtype == TtDType::bfloat8_b) {
      index = in - 64;
      b.start = b.tile * tb + in;
      b.element_bytes = 1;
    } else if (g.dtype == TtDType::bfloat4_b) {
      index = (in - 64) * 2;  // the low nibble's element; the high one is index + 1
      b.start = b.tile * tb + in;
      b.element_bytes = 1;
    } else {
      const uint32_t w = element_bytes(g.dtype);
      index = in / w;
      b.byte_in_element = uint32_t(in % w);
      b.start = b.tile * tb + index * w;
      b.element_bytes = w;
    }
    b.face = uint32_t(index / (kFace * kFace));
    b.face_row = uint32_t(index % (kFace * kFace) / kFace);
    b.face_col = uint32_t(index % kFace);
    const uint64_t per_slice = std::max<uint64_t>(g.tiles_per_slice(), 1),
                   per_row = std::max<uint64_t>(g.tiles_per_row(), 1);
    b.slice = b.tile / per_slice;
    const uint64_t t = b.tile % per_slice;
    b.row = (t / per_row) * kTile + (b.face / 2) * kFace + b.face_row;
    b.col = (t % per_row) * kTile + (b.face % 2) * kFace + b.face_col;
  }
  b.padding = b.row >= g.rows || b.col >= g.cols || b.slice >= g.slices;
  return b;
}

std::string tensorbin_variant(const TensorbinHeader& h) {
  if (h.layout_2025_06) return "2025-06 header (tensor_type union)";
  if (h.identifier || h.schema_version > 0) return fmt::format("schema v{} (TTNB)", h.schema_version);
  if ((8 + h.header_size) % 64 == 0) return "64-byte aligned data";
  return "v0 (8-byte aligned data)";
}

namespace {

constexpr uint32_t kMaxMeshRank = 8;

class HeaderReader {
 public:
  HeaderReader(const OpenLimits& limits, const std::string& subject, std::vector<Finding>& findings, TensorbinHeader& h)
      : lim_(limits), subject_(subject), out_(findings), h_(h) {}

  void add(std::string rule, Severity s, std::string message, std::optional<uint64_t> offset) {
    out_.push_back({std::move(rule), s, subject_ + ": " + message, offset, subject_});
  }

  // Absolute offset of a position inside the flatbuffer.
  uint64_t at(const void* p) const { return h_.base + 8 + uint64_t(static_cast<const uint8_t*>(p) - buf_.data()); }

  bool read(const ByteSource& src, uint64_t size) {
    if (size < 8) {
      add("tensorbin.header", Severity::error,
          fmt::format("the file is {} bytes, shorter than its 8-byte header size", size), h_.base);
      return false;
    }
    uint8_t prefix[8];
    if (!src.read(h_.base, prefix, 8)) return read_failed_ = true, false;
    std::memcpy(&h_.header_size, prefix, 8);
    const uint64_t n = h_.header_size;
    if (n > size - 8) {
      add("tensorbin.header", Severity::error,
          fmt::format("header_size {} runs past the end of the {}-byte file", n, size), h_.base);
      return false;
    }
    if (n > lim_.max_flatbuffer_bytes) {
      add("tensorbin.header", Severity::error,
          fmt::format("header_size {} is more than the {} bytes ckpt reads as one header", n,
                      lim_.max_flatbuffer_bytes),
          h_.base);
      return false;
    }
    if (n % 8 != 0)
      add("tensorbin.header", Severity::error,
          fmt::format("header_size {} is not a multiple of 8: the data region is misaligned for ttnn's loader", n),
          h_.base);
    h_.data_start = h_.base + 8 + n;
    buf_.resize(size_t(n));
    if (n && !src.read(h_.base + 8, buf_.data(), buf_.size())) return read_failed_ = true, false;
    h_.identifier = n >= 8 && std::memcmp(buf_.data() + 4, "TTNB", 4) == 0;
    return verify();
  }

  bool verify() {
    flatbuffers::Verifier::Options o;  // the defaults: depth 64, 10^6 tables, alignment checked
    if (buf_.size() < (uint64_t(1) << 31)) {
      flatbuffers::Verifier v(buf_.data(), buf_.size(), o);
      if (v.VerifyBuffer<ttnn::flatbuffer::Tensor>(nullptr)) return h_.verified = true;
      flatbuffers::Verifier v2(buf_.data(), buf_.size(), o);
      if (!h_.identifier && v2.VerifyBuffer<ttnn::flatbuffer::v2025_06::Tensor>(nullptr))
        return h_.verified = h_.layout_2025_06 = true;
    }
    const auto p = fb::locate_problem(buf_, fb::kTensor);
    add("flatbuffer.verify", Severity::error,
        "the header fails the flatbuffers Verifier (ttnn.flatbuffer.Tensor): " +
            (p ? p->what : std::string("a check beyond those ckpt locates")),
        h_.base + 8 + (p ? p->offset : 0));
    return false;
  }

  template <class V>
  bool capped(const V* v, uint64_t cap, std::string_view what, std::vector<uint64_t>& into) {
    into.clear();
    if (!v) return true;
    if (v->size() > cap) {
      add("tensorbin.spec", Severity::error, fmt::format("{} has {} entries, more than {}", what, v->size(), cap),
          at(v));
      return false;
    }
    for (auto x : *v) into.push_back(uint64_t(x));
    return true;
  }
  template <class V>
  bool capped32(const V* v, uint64_t cap, std::string_view what, std::vector<uint32_t>& into) {
    std::vector<uint64_t> tmp;
    if (!capped(v, cap, what, tmp)) return false;
    into.assign(tmp.begin(), tmp.end());
    return true;
  }

  void spec(const ttnn::flatbuffer::TensorSpec* s) {
    if (!s) {
      add("tensorbin.spec", Severity::error, "the header has no tensor_spec", h_.base + 8);
      return;
    }
    spec_at_ = at(s);
    capped(s->shape(), lim_.max_tensor_rank, "the shape", h_.shape);
    const auto* l = s->tensor_layout();
    if (!l) return;
    h_.data_type = int64_t(l->data_type());
    h_.page_config = int(l->page_config_type());
    if (const auto* t = l->page_config_as_tile(); t && t->tile()) {
      h_.tile_h = t->tile()->tile_shape_h();
      h_.tile_w = t->tile()->tile_shape_w();
      h_.transpose_tile = t->tile()->transpose_tile();
    }
    capped32(l->alignment(), lim_.max_tensor_rank, "the alignment", h_.alignment);
    if (const auto* m = l->memory_config()) {
      h_.memory_layout = uint16_t(m->memory_layout());
      h_.buffer_type = uint16_t(m->buffer_type());
    }
  }

  template <class Shard>
  void shard(const Shard* s) {
    TensorbinShard x;
    x.record_offset = at(s);
    if (s->buffer_type() == 1) {
      if (const auto* b = s->buffer_as_InlineFileStorage()) {
        x.has_buffer = true;
        x.offset = b->offset();
        x.size = b->size();
      }
    }
    if (const auto* c = s->mesh_coordinate()) capped32(c->values(), kMaxMeshRank, "a mesh coordinate", x.coord);
    h_.shards.push_back(std::move(x));
  }

  template <class Vec>
  bool shards(const Vec* v) {
    if (!v) return true;
    if (v->size() > lim_.max_tensorbin_shards) {
      add("tensorbin.shards", Severity::error,
          fmt::format("{} shard records, more than {}", v->size(), lim_.max_tensorbin_shards), at(v));
      return false;
    }
    for (const auto* s : *v) shard(s);
    return true;
  }

  void fields() {
    if (h_.layout_2025_06) {
      const auto* t = flatbuffers::GetRoot<ttnn::flatbuffer::v2025_06::Tensor>(buf_.data());
      spec(t->tensor_spec());
      if (const auto* r = t->tensor_type_as_ReplicatedTensor()) {
        TensorbinShard x;
        x.record_offset = at(r);
        if (r->buffer_type() == 1)
          if (const auto* b = r->buffer_as_InlineFileStorage())
            x.has_buffer = true, x.offset = b->offset(), x.size = b->size();
        h_.shards.push_back(std::move(x));
      } else if (const auto* s = t->tensor_type_as_ShardedTensor()) {
        if (s->mesh_shape()) capped32(s->mesh_shape()->dimensions(), kMaxMeshRank, "the mesh shape", h_.mesh_shape);
        // The 2025-06 shards are the same table as today's, in another namespace.
        if (const auto* v = s->shards()) {
          if (v->size() > lim_.max_tensorbin_shards)
            add("tensorbin.shards", Severity::error,
                fmt::format("{} shard records, more than {}", v->size(), lim_.max_tensorbin_shards), at(v));
          else
            for (const auto* x : *v) shard(x);
        }
      }
      return;
    }
    const auto* t = flatbuffers::GetRoot<ttnn::flatbuffer::Tensor>(buf_.data());
    spec(t->tensor_spec());
    if (t->mesh_shape()) capped32(t->mesh_shape()->dimensions(), kMaxMeshRank, "the mesh shape", h_.mesh_shape);
    shards(t->shards());
    h_.schema_version = t->schema_version();
    if (const auto* topo = t->tensor_topology()) {
      h_.has_topology = true;
      if (topo->distribution_shape())
        capped32(topo->distribution_shape()->dimensions(), kMaxMeshRank, "the distribution shape",
                 h_.distribution_shape);
      if (const auto* pl = topo->placements()) {
        if (pl->size() > kMaxMeshRank)
          add("tensorbin.shards", Severity::error, fmt::format("{} placements, more than {}", pl->size(), kMaxMeshRank),
              at(pl));
        else
          for (const auto* p : *pl) h_.placements.push_back({uint8_t(p->type()), p->tensor_dim()});
      }
      if (const auto* cs = topo->mesh_coords()) {
        if (cs->size() > lim_.max_tensorbin_shards) {
          add("tensorbin.shards", Severity::error,
              fmt::format("{} topology coordinates, more than {}", cs->size(), lim_.max_tensorbin_shards), at(cs));
        } else {
          for (const auto* c : *cs) {
            std::vector<uint32_t> v;
            if (c) capped32(c->values(), kMaxMeshRank, "a topology coordinate", v);
            h_.topology_coords.push_back(std::move(v));
          }
        }
      }
    }
  }

  // The spec as a shard geometry, or a finding saying what ckpt cannot decode.
  void geometry() {
    const uint64_t where = spec_at_ ? spec_at_ : h_.base + 8;
    auto unsupported = [&](std::string m) { add("tensorbin.spec", Severity::error, std::move(m), where); };
    if (h_.data_type < 0 || h_.data_type >= kTtDTypeCount)
      return unsupported(fmt::format("data_type {} is not one ckpt knows (0..7: BFLOAT16 .. INT32)", h_.data_type));
    if (h_.page_config != 1 && h_.page_config != 2)
      return unsupported(fmt::format("page_config type {} is neither row_major (1) nor tile (2)", h_.page_config));
    ShardGeometry g;
    g.dtype = TtDType(h_.data_type);
    g.tile = h_.page_config == 2;
    if (g.tile && (h_.tile_h != kTile || h_.tile_w != kTile || h_.transpose_tile))
      return unsupported(fmt::format("tiles of {}x{}{}: ckpt reads 32x32 tiles of 16x16 faces (all tt-train writes)",
                                     h_.tile_h, h_.tile_w, h_.transpose_tile ? " transposed" : ""));
    if (!g.tile && is_block_float(g.dtype))
      return unsupported(
          fmt::format("{} in row-major layout: block floats exist only in tiles", tt_dtype_name(h_.data_type)));
    g.shape = h_.shape;
    const size_t r = g.shape.size();
    g.cols = r >= 1 ? g.shape[r - 1] : 1;
    g.rows = r >= 2 ? g.shape[r - 2] : 1;
    CheckedU64 slices = 1, numel = 1;
    for (size_t i = 0; i + 2 < r; ++i) slices *= g.shape[i];
    for (uint64_t d : g.shape) numel *= d;
    // Alignment: the padded size of the last dims (ttnn's defaults: [32, 32] for tiles,
    // [1] for row-major); leading entries other than 1 are not something ttnn writes.
    uint64_t align_rows = g.tile ? kTile : 1, align_cols = g.tile ? kTile : 1;
    const auto& a = h_.alignment;
    if (!a.empty()) {
      align_cols = a.back();
      if (a.size() >= 2) align_rows = a[a.size() - 2];
      for (size_t i = 0; i + 2 < a.size(); ++i)
        if (a[i] != 1) return unsupported(fmt::format("alignment {} pads a leading dimension", a));
    }
    if (align_rows == 0 || align_cols == 0) return unsupported(fmt::format("alignment {} has a zero", a));
    if (g.tile && (align_rows % kTile != 0 || align_cols % kTile != 0))
      return unsupported(fmt::format("alignment {} is not a multiple of the 32x32 tile", a));
    const CheckedU64 prow = (CheckedU64(g.rows) + (align_rows - 1)) / align_rows * align_rows;
    const CheckedU64 pcol = (CheckedU64(g.cols) + (align_cols - 1)) / align_cols * align_cols;
    CheckedU64 bytes = g.tile ? slices * (prow / kTile) * (pcol / kTile) * tile_bytes(g.dtype)
                              : slices * prow * pcol * element_bytes(g.dtype);
    if (!slices.ok() || !numel.ok() || !prow.ok() || !pcol.ok() || !bytes.ok())
      return unsupported(fmt::format("the shape {} overflows 64 bits", g.shape));
    g.slices = slices.value();
    g.numel = numel.value();
    g.padded_rows = prow.value();
    g.padded_cols = pcol.value();
    g.bytes = bytes.value();
    g.padded = g.shape;
    if (r >= 1) g.padded[r - 1] = g.padded_cols;
    if (r >= 2) g.padded[r - 2] = g.padded_rows;
    h_.geometry = std::move(g);
  }

  // Every shard record against the spec and the file.
  void check_shards() {
    if (h_.shards.empty()) {
      add("tensorbin.shards", Severity::error, "the header lists no shard: the file holds no data", h_.base + 8);
      return;
    }
    const uint64_t end = h_.base + h_.file_size;
    for (size_t i = 0; i < h_.shards.size(); ++i) {
      const TensorbinShard& s = h_.shards[i];
      const std::string name = h_.shards.size() == 1 ? "the shard" : fmt::format("shard {}", i);
      if (!s.has_buffer) {
        add("tensorbin.shards", Severity::error, name + " has no InlineFileStorage buffer", s.record_offset);
        continue;
      }
      if (h_.geometry && s.size != h_.geometry->bytes) add_length(name, s);
      const CheckedU64 first = CheckedU64(h_.data_start) + s.offset, last = first + s.size;
      if (!last.ok() || last.value() > end)
        add("tensorbin.truncated", Severity::error,
            fmt::format("{} holds bytes {}..{} of the data region, but the file ends {} bytes into it", name, s.offset,
                        s.offset + std::min(s.size, UINT64_MAX - s.offset), end - std::min(end, h_.data_start)),
            first.ok() ? std::min(end, first.value()) : end);
    }
    if (h_.schema_version > 1)
      add("tensorbin.header", Severity::warning,
          fmt::format("schema_version {} is newer than ckpt knows (1): read as version 1", h_.schema_version),
          h_.base + 8);
  }

  // A shard whose byte count is not what its spec needs; when the count is what the
  // other layout needs, the file was written tilized and labelled row-major (or the
  // reverse).
  void add_length(const std::string& name, const TensorbinShard& s) {
    const ShardGeometry& g = *h_.geometry;
    std::string hint;
    if (!is_block_float(g.dtype)) {
      const uint64_t w = element_bytes(g.dtype),
                     tiled = g.slices * ((g.rows + 31) / 32) * ((g.cols + 31) / 32) * 1024 * w;
      const uint64_t plain = g.numel * w;
      if (!g.tile && s.size == tiled)
        hint = fmt::format(
            "; {} bytes is the tiled size of this shape: the data looks tilized but the header says "
            "ROW_MAJOR",
            tiled);
      if (g.tile && s.size == plain)
        hint = fmt::format(
            "; {} bytes is the row-major size of this shape: the data looks row-major but the "
            "header says TILE",
            plain);
    }
    add("tensorbin.data_length", Severity::error,
        fmt::format("{} has {} bytes, but a {} {} tensor of shape {} needs {}{}", name, s.size,
                    g.tile ? "tiled" : "row-major", tt_dtype_name(h_.data_type), g.shape, g.bytes, hint),
        s.record_offset);
  }

  bool read_failed() const { return read_failed_; }

 private:
  const OpenLimits& lim_;
  const std::string& subject_;
  std::vector<Finding>& out_;
  TensorbinHeader& h_;
  std::vector<uint8_t> buf_;
  uint64_t spec_at_ = 0;
  bool read_failed_ = false;
};

}  // namespace

Result<TensorbinHeader> read_tensorbin_header(const ByteSource& src, uint64_t base, uint64_t size,
                                              const OpenLimits& limits, const std::string& subject,
                                              std::vector<Finding>& findings) {
  TensorbinHeader h;
  h.base = base;
  h.file_size = size;
  HeaderReader r(limits, subject, findings, h);
  if (!r.read(src, size)) {
    if (r.read_failed())
      return Error{ErrorCode::io_read, "cannot read the header of " + subject + " in " + src.name(), base};
    return h;
  }
  r.fields();
  r.geometry();
  r.check_shards();
  return h;
}

int probe_tensorbin(const ByteSource& src, uint64_t base, uint64_t size, const OpenLimits& limits) {
  uint64_t n = 0;
  uint32_t root = 0;
  // The size prefix first (8 bytes): a weight file's first bytes are no plausible size.
  if (size < 8 + 12 || !src.read(base, &n, 8)) return 0;
  if (n < 12 || n > size - 8 || n % 8 != 0 || n > limits.max_flatbuffer_bytes || !src.read(base + 8, &root, 4))
    return 0;
  // ttnn aligns the header to 8 bytes; the root offset points inside it.
  if (n < 12 || n > size - 8 || n % 8 != 0 || n > limits.max_flatbuffer_bytes || root == 0 || root >= n || root % 4)
    return 0;
  std::vector<uint8_t> buf(static_cast<size_t>(n));
  if (!src.read(base + 8, buf.data(), buf.size())) return 0;
  // Verification alone accepts almost any small table: ask for what a writer always puts.
  flatbuffers::Verifier v(buf.data(), buf.size());
  if (v.VerifyBuffer<ttnn::flatbuffer::Tensor>(nullptr)) {
    const auto* t = flatbuffers::GetRoot<ttnn::flatbuffer::Tensor>(buf.data());
    if (t->tensor_spec() && t->shards() && t->shards()->size() > 0)
      return std::memcmp(buf.data() + 4, "TTNB", 4) == 0 ? 2 : 1;
  }
  flatbuffers::Verifier v2(buf.data(), buf.size());
  if (v2.VerifyBuffer<ttnn::flatbuffer::v2025_06::Tensor>(nullptr)) {
    const auto* t = flatbuffers::GetRoot<ttnn::flatbuffer::v2025_06::Tensor>(buf.data());
    if (t->tensor_spec() && t->tensor_type()) return 1;
  }
  return 0;
}

}  // namespace ckpt::ttml
