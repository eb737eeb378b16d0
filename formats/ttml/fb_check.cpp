// The located flatbuffer check: schema descriptions mirroring formats/ttml/schema/*.fbs
// and a walk that applies the generated verifiers' checks in their order.
#include "fb_check.hpp"

#include <cstring>

#include "ttml_fb/tensor_2025_06_generated.h"
#include "ttml_fb/tensor_generated.h"
#include "ttml_fb/ttml_metadata_generated.h"
#include "ttml_fb/ttml_tensor_generated.h"

namespace ckpt::ttml::fb {

namespace {

using F = FieldDesc;
using S = Slot;

// --- ttml_metadata.fbs / ttml_tensor.fbs: one-field value tables ---------------------------
constexpr F kBoolF[] = {{"value", S::scalar, 1}};
constexpr F kI8F[] = {{"value", S::scalar, 1}};
constexpr F kI32F[] = {{"value", S::scalar, 4}};
constexpr F kF32F[] = {{"value", S::scalar, 4}};
constexpr F kF64F[] = {{"value", S::scalar, 8}};
constexpr F kU32F[] = {{"value", S::scalar, 4}};
constexpr F kU64F[] = {{"value", S::scalar, 8}};
constexpr F kU16F[] = {{"value", S::scalar, 2}};
constexpr F kStrF[] = {{"value", S::string}};
constexpr F kVec1F[] = {{"values", S::vector, 1}};
constexpr F kVec2F[] = {{"values", S::vector, 2}};
constexpr F kVec4F[] = {{"values", S::vector, 4}};
constexpr F kVec8F[] = {{"values", S::vector, 8}};
constexpr F kVecStrF[] = {{"values", S::string_vector}};

constexpr TableDesc kBoolValue{"BoolValue", kBoolF}, kCharValue{"CharValue", kI8F}, kIntValue{"IntValue", kI32F},
    kFloatValue{"FloatValue", kF32F}, kDoubleValue{"DoubleValue", kF64F}, kUInt32Value{"UInt32Value", kU32F},
    kSizeTValue{"SizeTValue", kU64F}, kBFloat16Value{"BFloat16Value", kU16F}, kStringValue{"StringValue", kStrF},
    kVectorChar{"VectorChar", kVec1F}, kVectorInt{"VectorInt", kVec4F}, kVectorFloat{"VectorFloat", kVec4F},
    kVectorDouble{"VectorDouble", kVec8F}, kVectorUInt8{"VectorUInt8", kVec1F}, kVectorUInt32{"VectorUInt32", kVec4F},
    kVectorBFloat16{"VectorBFloat16", kVec2F}, kVectorString{"VectorString", kVecStrF};

constexpr UnionMember kSerializableMembers[] = {
    {1, "BoolValue", &kBoolValue},        {2, "CharValue", &kCharValue},
    {3, "IntValue", &kIntValue},          {4, "FloatValue", &kFloatValue},
    {5, "DoubleValue", &kDoubleValue},    {6, "UInt32Value", &kUInt32Value},
    {7, "SizeTValue", &kSizeTValue},      {8, "BFloat16Value", &kBFloat16Value},
    {9, "StringValue", &kStringValue},    {10, "VectorChar", &kVectorChar},
    {11, "VectorInt", &kVectorInt},       {12, "VectorFloat", &kVectorFloat},
    {13, "VectorDouble", &kVectorDouble}, {14, "VectorUInt8", &kVectorUInt8},
    {15, "VectorUInt32", &kVectorUInt32}, {16, "VectorBFloat16", &kVectorBFloat16},
    {17, "VectorString", &kVectorString},
};
constexpr UnionMember kSerializablePrMembers[] = {
    {1, "BoolValue", &kBoolValue},      {2, "CharValue", &kCharValue},        {3, "IntValue", &kIntValue},
    {4, "FloatValue", &kFloatValue},    {5, "DoubleValue", &kDoubleValue},    {6, "UInt32Value", &kUInt32Value},
    {7, "SizeTValue", &kSizeTValue},    {8, "StringValue", &kStringValue},    {9, "VectorChar", &kVectorChar},
    {10, "VectorInt", &kVectorInt},     {11, "VectorFloat", &kVectorFloat},   {12, "VectorDouble", &kVectorDouble},
    {13, "VectorUInt8", &kVectorUInt8}, {14, "VectorUInt32", &kVectorUInt32}, {15, "VectorString", &kVectorString},
};

}  // namespace

const UnionDesc kSerializableType{"SerializableType", kSerializableMembers};
const UnionDesc kSerializableTypePr32326{"SerializableType", kSerializablePrMembers};

namespace {

const F kPairF[] = {
    {"key", S::string}, {"value_type", S::scalar, 1}, {"value", S::union_value, 0, nullptr, &kSerializableType}};
const TableDesc kPair{"KeyValuePair", kPairF};
const F kDataF[] = {{"pairs", S::table_vector, 0, &kPair}};
const F kPairPrF[] = {
    {"key", S::string}, {"value_type", S::scalar, 1}, {"value", S::union_value, 0, nullptr, &kSerializableTypePr32326}};
const TableDesc kPairPr{"KeyValuePair", kPairPrF};
const F kDataPrF[] = {{"pairs", S::table_vector, 0, &kPairPr}};

// --- tensor_spec.fbs ------------------------------------------------------------------------
constexpr F kCoreCoordF[] = {{"x", S::scalar, 4}, {"y", S::scalar, 4}};
constexpr TableDesc kCoreCoord{"CoreCoord", kCoreCoordF};
constexpr F kCoreRangeF[] = {{"start", S::table, 0, &kCoreCoord}, {"end", S::table, 0, &kCoreCoord}};
constexpr TableDesc kCoreRange{"CoreRange", kCoreRangeF};
constexpr F kCoreRangeSetF[] = {{"ranges", S::table_vector, 0, &kCoreRange}};
constexpr TableDesc kCoreRangeSet{"CoreRangeSet", kCoreRangeSetF};
constexpr F kTileF[] = {
    {"tile_shape_h", S::scalar, 4}, {"tile_shape_w", S::scalar, 4}, {"transpose_tile", S::scalar, 1}};
constexpr TableDesc kTile{"Tile", kTileF};
constexpr F kShardShapeF[] = {{"height", S::scalar, 4}, {"width", S::scalar, 4}};
constexpr TableDesc kShardShape{"ShardShape", kShardShapeF};
constexpr F kShardSpecF[] = {{"grid", S::table, 0, &kCoreRangeSet},
                             {"shape_h", S::scalar, 4},
                             {"shape_w", S::scalar, 4},
                             {"orientation", S::scalar, 1},
                             {"shard_mode_deprecated", S::scalar, 1},
                             {"physical_shard_shape_deprecated", S::table, 0, &kShardShape}};
constexpr TableDesc kShardSpec{"ShardSpec", kShardSpecF};
constexpr F kNdShardSpecF[] = {{"shard_shape", S::vector, 4},
                               {"grid", S::table, 0, &kCoreRangeSet},
                               {"orientation", S::scalar, 1},
                               {"shard_distribution_strategy", S::scalar, 1}};
constexpr TableDesc kNdShardSpec{"NdShardSpec", kNdShardSpecF};
constexpr TableDesc kRowMajorPageConfig{"RowMajorPageConfig", {}};
constexpr F kTilePageConfigF[] = {{"tile", S::table, 0, &kTile}};
constexpr TableDesc kTilePageConfig{"TilePageConfig", kTilePageConfigF};
constexpr UnionMember kPageConfigMembers[] = {{1, "row_major", &kRowMajorPageConfig}, {2, "tile", &kTilePageConfig}};
constexpr UnionDesc kPageConfig{"PageConfig", kPageConfigMembers};
constexpr F kMemoryConfigF[] = {{"memory_layout", S::scalar, 2},
                                {"buffer_type", S::scalar, 2},
                                {"shard_spec", S::table, 0, &kShardSpec},
                                {"nd_shard_spec", S::table, 0, &kNdShardSpec},
                                {"created_with_nd_shard_spec", S::scalar, 1}};
constexpr TableDesc kMemoryConfig{"MemoryConfig", kMemoryConfigF};
constexpr F kTensorLayoutF[] = {{"data_type", S::scalar, 1},
                                {"page_config_type", S::scalar, 1},
                                {"page_config", S::union_value, 0, nullptr, &kPageConfig},
                                {"memory_config", S::table, 0, &kMemoryConfig},
                                {"alignment", S::vector, 4}};
constexpr TableDesc kTensorLayout{"TensorLayout", kTensorLayoutF};
constexpr F kTensorSpecF[] = {{"shape", S::vector, 4}, {"tensor_layout", S::table, 0, &kTensorLayout}};
constexpr TableDesc kTensorSpec{"TensorSpec", kTensorSpecF};

// --- mesh_shape.fbs, mesh_coordinate.fbs, tensor_topology.fbs, tensor.fbs ------------------
constexpr F kMeshShapeF[] = {{"dimensions", S::vector, 4}};
constexpr TableDesc kMeshShape{"MeshShape", kMeshShapeF};
constexpr F kMeshCoordinateF[] = {{"values", S::vector, 4}};
constexpr TableDesc kMeshCoordinate{"MeshCoordinate", kMeshCoordinateF};
constexpr F kPlacementF[] = {{"type", S::scalar, 1}, {"tensor_dim", S::scalar, 4}};
constexpr TableDesc kPlacement{"MeshMapperPlacement", kPlacementF};
constexpr F kTopologyF[] = {{"distribution_shape", S::table, 0, &kMeshShape},
                            {"placements", S::table_vector, 0, &kPlacement},
                            {"mesh_coords", S::table_vector, 0, &kMeshCoordinate}};
constexpr TableDesc kTopology{"TensorTopology", kTopologyF};
constexpr UnionMember kTensorBufferMembers[] = {{1, "InlineFileStorage", nullptr, 16, 8}};
constexpr UnionDesc kTensorBuffer{"TensorBuffer", kTensorBufferMembers};
constexpr F kShardF[] = {{"buffer_type", S::scalar, 1},
                         {"buffer", S::union_value, 0, nullptr, &kTensorBuffer},
                         {"mesh_coordinate", S::table, 0, &kMeshCoordinate}};
constexpr TableDesc kShard{"TensorShard", kShardF};
constexpr F kTensorF[] = {{"tensor_spec", S::table, 0, &kTensorSpec},
                          {"mesh_shape", S::table, 0, &kMeshShape},
                          {"shards", S::table_vector, 0, &kShard},
                          {"tensor_topology", S::table, 0, &kTopology},
                          {"schema_version", S::scalar, 4}};

// --- tensor_2025_06.fbs -----------------------------------------------------------------------
constexpr F kReplicatedF[] = {{"buffer_type", S::scalar, 1}, {"buffer", S::union_value, 0, nullptr, &kTensorBuffer}};
constexpr TableDesc kReplicated{"ReplicatedTensor", kReplicatedF};
constexpr F kShardedF[] = {{"mesh_shape", S::table, 0, &kMeshShape}, {"shards", S::table_vector, 0, &kShard}};
constexpr TableDesc kSharded{"ShardedTensor", kShardedF};
constexpr UnionMember kTensorTypeMembers[] = {{1, "ReplicatedTensor", &kReplicated}, {2, "ShardedTensor", &kSharded}};
constexpr UnionDesc kTensorType{"TensorType", kTensorTypeMembers};
constexpr F kTensor2025F[] = {{"tensor_spec", S::table, 0, &kTensorSpec},
                              {"tensor_type_type", S::scalar, 1},
                              {"tensor_type", S::union_value, 0, nullptr, &kTensorType}};

}  // namespace

const TableDesc kTtmlData{"TTMLData", kDataF};
const TableDesc kTtmlDataPr32326{"TTMLData", kDataPrF};
const TableDesc kTensor{"Tensor", kTensorF};
const TableDesc kTensor2025_06{"Tensor", kTensor2025F};

const UnionMember* UnionDesc::find(uint8_t code) const {
  for (const auto& m : members)
    if (m.code == code) return &m;
  return nullptr;
}

namespace {

// flatbuffers' limits: buffers below 2 GiB, at least uoffset + soffset + two voffsets.
constexpr uint64_t kMaxBuffer = (uint64_t(1) << 31) - 1;
constexpr uint64_t kMinBuffer = 12;

class Walker {
 public:
  Walker(std::span<const uint8_t> buf, const CheckLimits& lim) : b_(buf), lim_(lim) {}

  std::optional<Problem> root(const TableDesc& t) {
    if (b_.size() < kMinBuffer) {
      fail(0, "the buffer is " + std::to_string(b_.size()) + " bytes, less than the 12 of the smallest flatbuffer");
      return problem_;
    }
    if (b_.size() >= kMaxBuffer) {
      fail(0, "the buffer is 2 GiB or more: flatbuffers' offsets cannot span it");
      return problem_;
    }
    uint64_t target = 0;
    if (!offset_at(0, "root offset", target)) return problem_;
    table(target, t, std::string(t.name));
    return problem_;
  }

 private:
  bool fail(uint64_t at, std::string what) {
    // Every blamed position is inside the buffer; the end stands for "past it".
    if (!problem_) problem_ = Problem{std::min<uint64_t>(at, b_.size()), std::move(what)};
    return false;
  }
  // Verifier::Verify(elem, len): the range lies inside the buffer (len < size, as there).
  // A range that leaves the buffer is reported at `blame`: the field that declared it
  // (an offset or a length), not the bytes it points at.
  bool in_range(uint64_t at, uint64_t len, const std::string& what, std::optional<uint64_t> blame = std::nullopt) {
    if (len < b_.size() && at <= b_.size() - len) return true;
    return fail(blame.value_or(std::min<uint64_t>(at, b_.size())), what + ": bytes " + std::to_string(at) + ".." +
                                                                       std::to_string(at + len) + " are outside the " +
                                                                       std::to_string(b_.size()) + "-byte buffer");
  }
  bool aligned(uint64_t at, uint64_t align, const std::string& what, std::optional<uint64_t> blame = std::nullopt) {
    if (at % align == 0) return true;
    return fail(at < b_.size() ? at : blame.value_or(b_.size()),
                what + " at byte " + std::to_string(at) + " is not aligned to " + std::to_string(align));
  }
  uint32_t u32(uint64_t at) const {
    uint32_t v;
    std::memcpy(&v, b_.data() + at, 4);
    return v;
  }
  uint16_t u16(uint64_t at) const {
    uint16_t v;
    std::memcpy(&v, b_.data() + at, 2);
    return v;
  }
  // Verifier::VerifyOffset: an aligned uoffset, not zero, below 2^31, landing inside.
  bool offset_at(uint64_t at, const std::string& what, uint64_t& target) {
    if (!aligned(at, 4, what) || !in_range(at, 4, what)) return false;
    const uint32_t o = u32(at);
    if (o == 0) return fail(at, what + " is 0 (points at itself)");
    if (o >= 0x80000000u) return fail(at, what + " " + std::to_string(o) + " is 2^31 or more");
    if (!in_range(at + o, 1, what + " (to byte " + std::to_string(at + o) + ")", at)) return false;
    target = at + o;
    return true;
  }
  // Verifier::VerifyVectorOrString: an aligned length, then length x elem bytes inside.
  bool vector_at(uint64_t at, uint64_t elem, const std::string& what, uint64_t& count) {
    if (!aligned(at, 4, what + " length") || !in_range(at, 4, what + " length")) return false;
    count = u32(at);
    if (count >= kMaxBuffer / elem)
      return fail(at, what + " declares " + std::to_string(count) + " elements: more than a flatbuffer can hold");
    return in_range(at, 4 + elem * count, what + " (" + std::to_string(count) + " elements)", at);
  }
  bool string_at(uint64_t at, const std::string& what) {
    uint64_t len = 0;
    if (!vector_at(at, 1, what, len)) return false;
    const uint64_t end = at + 4 + len;
    if (!in_range(end, 1, what + " terminator", at)) return false;
    if (b_[end] != 0) return fail(end, what + " is not NUL-terminated");
    return true;
  }

  // `from`: the offset field that led here (blamed when the table lies outside).
  bool table(uint64_t at, const TableDesc& t, const std::string& path, std::optional<uint64_t> from = std::nullopt) {
    const std::string what = "table " + path;
    // Verifier::VerifyTableStart: the soffset first, then the depth and table count.
    if (!aligned(at, 4, what + " start", from) || !in_range(at, 4, what + " start", from)) return false;
    if (++depth_ > lim_.max_depth)
      return fail(at, what + " is nested more than " + std::to_string(lim_.max_depth) + " deep");
    if (++tables_ > lim_.max_tables)
      return fail(at, what + ": more than " + std::to_string(lim_.max_tables) + " tables in the buffer");
    bool ok = table_body(at, t, path, what);
    --depth_;
    return ok;
  }

  bool table_body(uint64_t at, const TableDesc& t, const std::string& path, const std::string& what) {
    int32_t soff;
    std::memcpy(&soff, b_.data() + at, 4);
    const int64_t vt = int64_t(at) - int64_t(soff);
    if (vt < 0) return fail(at, what + ": its vtable offset " + std::to_string(soff) + " points before the buffer");
    const uint64_t vtable = uint64_t(vt);
    if (!aligned(vtable, 2, what + " vtable", at) || !in_range(vtable, 2, what + " vtable", at)) return false;
    const uint16_t vsize = u16(vtable);
    if (vsize % 2 != 0) return fail(vtable, what + " vtable size " + std::to_string(vsize) + " is odd");
    if (!in_range(vtable, vsize, what + " vtable", vtable)) return false;
    uint8_t union_type = 0;
    for (size_t i = 0; i < t.fields.size(); ++i) {
      const FieldDesc& f = t.fields[i];
      const uint64_t slot = 4 + 2 * i;
      const uint16_t foff = slot < vsize ? u16(vtable + slot) : 0;
      if (f.slot == Slot::scalar && f.size == 1 && i + 1 < t.fields.size() && t.fields[i + 1].slot == Slot::union_value)
        union_type = 0;  // absent type: NONE
      const std::string fw = path + "." + std::string(f.name);
      if (foff == 0) {
        // A struct member named by the type but with no value: the generated verifier
        // checks the struct at a null pointer and fails.
        const UnionMember* m = f.slot == Slot::union_value ? f.union_desc->find(union_type) : nullptr;
        if (m && !m->table) return fail(vtable, fw + " has type " + std::string(m->name) + " but no value");
        continue;
      }
      const uint64_t pos = at + foff;
      switch (f.slot) {
        case Slot::scalar:
          if (!aligned(pos, f.size, fw, vtable + slot) || !in_range(pos, f.size, fw, vtable + slot)) return false;
          if (f.size == 1 && i + 1 < t.fields.size() && t.fields[i + 1].slot == Slot::union_value) union_type = b_[pos];
          break;
        case Slot::table: {
          uint64_t target = 0;
          if (!offset_at(pos, fw, target) || !table(target, *f.table, fw, pos)) return false;
          break;
        }
        case Slot::string: {
          uint64_t target = 0;
          if (!offset_at(pos, fw, target) || !string_at(target, fw)) return false;
          break;
        }
        case Slot::vector: {
          uint64_t target = 0, n = 0;
          if (!offset_at(pos, fw, target) || !vector_at(target, f.size, fw, n)) return false;
          break;
        }
        case Slot::table_vector:
        case Slot::string_vector: {
          uint64_t target = 0, n = 0;
          if (!offset_at(pos, fw, target) || !vector_at(target, 4, fw, n)) return false;
          for (uint64_t k = 0; k < n; ++k) {
            // Elements are read without an offset check (Vector::Get), then verified
            // where they land.
            const uint64_t e = target + 4 + 4 * k;
            const uint64_t dest = e + u32(e);
            const std::string ew = fw + "[" + std::to_string(k) + "]";
            const bool ok = f.slot == Slot::table_vector ? table(dest, *f.table, ew, e) : string_at(dest, ew);
            if (!ok) return false;
          }
          break;
        }
        case Slot::union_value: {
          uint64_t target = 0;
          if (!offset_at(pos, fw, target)) return false;
          const UnionMember* m = f.union_desc->find(union_type);
          if (!m) break;  // NONE or a type this schema does not know: not verified
          const std::string mw = fw + " (" + std::string(m->name) + ")";
          if (m->table) {
            if (!table(target, *m->table, mw, pos)) return false;
          } else if (!aligned(target, m->struct_align, mw, pos) || !in_range(target, m->struct_size, mw, pos)) {
            return false;
          }
          break;
        }
      }
    }
    return true;
  }

  std::span<const uint8_t> b_;
  CheckLimits lim_;
  uint32_t depth_ = 0, tables_ = 0;
  std::optional<Problem> problem_;
};

}  // namespace

bool flatbuffers_verify(std::span<const uint8_t> buf, const TableDesc& root) {
  if (buf.size() >= kMaxBuffer) return false;
  flatbuffers::Verifier v(buf.data(), buf.size());
  if (&root == &kTtmlData) return v.VerifyBuffer<::ttml::flatbuffer::TTMLData>(nullptr);
  if (&root == &kTtmlDataPr32326) return v.VerifyBuffer<::ttml::flatbuffer::pr32326::TTMLData>(nullptr);
  if (&root == &kTensor) return v.VerifyBuffer<::ttnn::flatbuffer::Tensor>(nullptr);
  if (&root == &kTensor2025_06) return v.VerifyBuffer<::ttnn::flatbuffer::v2025_06::Tensor>(nullptr);
  return false;
}

std::optional<Problem> locate_problem(std::span<const uint8_t> buf, const TableDesc& root, const CheckLimits& limits) {
  return Walker(buf, limits).root(root);
}

}  // namespace ckpt::ttml::fb
