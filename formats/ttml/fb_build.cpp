// Flatbuffer builders for .tensorbin headers and tt-train metadata, with the generated
// C++ of the schemas.
#include "fb_build.hpp"

#include <algorithm>
#include <cstring>

#include "ttml_fb/tensor_generated.h"
#include "ttml_fb/ttml_metadata_generated.h"

namespace ckpt::ttml {

namespace {
namespace tf = ::ttnn::flatbuffer;
namespace mf = ::ttml::flatbuffer;
namespace df = ::tt::tt_metal::distributed::flatbuffer;

flatbuffers::Offset<df::MeshCoordinate> coordinate(flatbuffers::FlatBufferBuilder& fbb,
                                                   const std::vector<uint32_t>& c) {
  return df::CreateMeshCoordinate(fbb, fbb.CreateVector(c));
}

uint8_t code_of(MetaKind k) {
  for (uint8_t c = 1; c <= 17; ++c)
    if (meta_kind(MetaSchema::current, c) == k) return c;
  return 0;
}
}  // namespace

std::vector<uint8_t> build_tensorbin_header(const TensorbinSpec& s) {
  flatbuffers::FlatBufferBuilder fbb(1024);
  auto shape = fbb.CreateVector(s.shape);
  flatbuffers::Offset<void> page;
  if (s.tile)
    page = tf::CreateTilePageConfig(fbb, tf::CreateTile(fbb, 32, 32, false)).Union();
  else
    page = tf::CreateRowMajorPageConfig(fbb).Union();
  auto mem = tf::CreateMemoryConfig(fbb);  // DRAM, interleaved: every field its default
  const std::vector<uint32_t> align = !s.alignment.empty() ? s.alignment
                                      : s.tile             ? std::vector<uint32_t>{32, 32}
                                                           : std::vector<uint32_t>{1};
  auto layout =
      tf::CreateTensorLayout(fbb, tf::DataType(s.data_type), s.tile ? tf::PageConfig_tile : tf::PageConfig_row_major,
                             page, mem, fbb.CreateVector(align));
  auto spec = tf::CreateTensorSpec(fbb, shape, layout);
  auto mesh = tf::CreateMeshShape(fbb, fbb.CreateVector(s.mesh_shape));
  std::vector<flatbuffers::Offset<tf::TensorShard>> shards;
  for (const auto& sh : s.shards) {
    auto c = coordinate(fbb, sh.coord);
    const tf::InlineFileStorage storage(sh.offset, sh.size);
    shards.push_back(
        tf::CreateTensorShard(fbb, tf::TensorBuffer_InlineFileStorage, fbb.CreateStruct(storage).Union(), c));
  }
  auto shard_vec = fbb.CreateVector(shards);
  flatbuffers::Offset<tf::TensorTopology> topo = 0;
  if (s.topology) {
    auto dist = tf::CreateMeshShape(fbb, fbb.CreateVector(s.distribution_shape));
    std::vector<flatbuffers::Offset<tf::MeshMapperPlacement>> pl;
    for (const auto& p : s.placements)
      pl.push_back(tf::CreateMeshMapperPlacement(fbb, tf::MeshMapperPlacementType(p.type), p.tensor_dim));
    auto pl_vec = fbb.CreateVector(pl);
    std::vector<flatbuffers::Offset<df::MeshCoordinate>> coords;
    for (const auto& c : s.topology_coords) coords.push_back(coordinate(fbb, c));
    auto coord_vec = fbb.CreateVector(coords);
    topo = tf::CreateTensorTopology(fbb, dist, pl_vec, coord_vec);
  }
  auto root = tf::CreateTensor(fbb, spec, mesh, shard_vec, topo, s.schema_version.value_or(0));
  if (s.identifier)
    fbb.Finish(root, "TTNB");
  else
    fbb.Finish(root);
  std::vector<uint8_t> out(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  out.resize((out.size() + 7) / 8 * 8, 0);
  return out;
}

std::vector<uint8_t> build_tensorbin(const TensorbinSpec& spec, const std::vector<uint8_t>& data, bool aligned64) {
  std::vector<uint8_t> header = build_tensorbin_header(spec);
  if (aligned64) header.resize((8 + header.size() + 63) / 64 * 64 - 8, 0);
  const uint64_t n = header.size();
  std::vector<uint8_t> out(8 + header.size() + data.size());
  std::memcpy(out.data(), &n, 8);
  std::copy(header.begin(), header.end(), out.begin() + 8);
  std::copy(data.begin(), data.end(), out.begin() + 8 + std::ptrdiff_t(header.size()));
  return out;
}

std::vector<uint8_t> build_metadata(const std::vector<MetaPairSpec>& pairs) {
  flatbuffers::FlatBufferBuilder fbb(4096);
  std::vector<flatbuffers::Offset<mf::KeyValuePair>> out;
  for (const auto& p : pairs) {
    flatbuffers::Offset<void> v;
    switch (p.kind) {
      case MetaKind::boolean:
        v = mf::CreateBoolValue(fbb, p.i != 0).Union();
        break;
      case MetaKind::i8:
        v = mf::CreateCharValue(fbb, int8_t(p.i)).Union();
        break;
      case MetaKind::i32:
        v = mf::CreateIntValue(fbb, int32_t(p.i)).Union();
        break;
      case MetaKind::u32:
        v = mf::CreateUInt32Value(fbb, uint32_t(p.i)).Union();
        break;
      case MetaKind::u64:
        v = mf::CreateSizeTValue(fbb, uint64_t(p.i)).Union();
        break;
      case MetaKind::f32:
        v = mf::CreateFloatValue(fbb, float(p.f)).Union();
        break;
      case MetaKind::f64:
        v = mf::CreateDoubleValue(fbb, p.f).Union();
        break;
      case MetaKind::string:
        v = mf::CreateStringValue(fbb, fbb.CreateString(p.s)).Union();
        break;
      case MetaKind::vec_u8:
        v = mf::CreateVectorUInt8(fbb, fbb.CreateVector(p.bytes)).Union();
        break;
      default:
        v = mf::CreateIntValue(fbb, int32_t(p.i)).Union();
        break;
    }
    const uint8_t code = p.code ? p.code : code_of(p.kind);
    out.push_back(mf::CreateKeyValuePair(fbb, fbb.CreateString(p.key), mf::SerializableType(code), v));
  }
  fbb.Finish(mf::CreateTTMLData(fbb, fbb.CreateVector(out)));
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

}  // namespace ckpt::ttml
