#pragma once
// Building tt-train's flatbuffers: a .tensorbin header from a description of the tensor
// and its shards, and metadata.flatbuffer from key / value pairs. The writers use these,
// and so do the tests that build files with a chosen defect.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fb_metadata.hpp"
#include "tensorbin.hpp"

namespace ckpt::ttml {

struct TensorbinShardSpec {
  std::vector<uint32_t> coord{0, 0};
  uint64_t offset = 0, size = 0;  // within the data region
};

// ttnn's single-device defaults unless changed: a replicated topology over mesh [1, 1].
struct TensorbinSpec {
  std::vector<uint32_t> shape;
  uint8_t data_type = 0;  // TtDType
  bool tile = true;
  std::vector<uint32_t> alignment;  // empty: [32, 32] for tiles, [1] for row-major
  std::vector<TensorbinShardSpec> shards;
  std::vector<uint32_t> mesh_shape{1, 1};
  bool topology = true;
  std::vector<uint32_t> distribution_shape{1};
  std::vector<MeshPlacement> placements{{0, -1}};
  std::vector<std::vector<uint32_t>> topology_coords{{0, 0}};
  std::optional<uint32_t> schema_version;  // the newest writer's field 4
  bool identifier = false;                 // "TTNB"
};

// The flatbuffer (padded with zeros to a multiple of 8, as ttnn aligns it).
std::vector<uint8_t> build_tensorbin_header(const TensorbinSpec& spec);

// A whole .tensorbin: size prefix, header (padded so the data starts at a multiple of 64
// when `aligned64`), then `data`.
std::vector<uint8_t> build_tensorbin(const TensorbinSpec& spec, const std::vector<uint8_t>& data,
                                     bool aligned64 = false);

// One metadata pair: the value as the kind says (integers and booleans in `i`, floats in
// `f`, strings in `s`, byte vectors in `bytes`); `code` overrides the union type written
// (0: the current schema's code of `kind`).
struct MetaPairSpec {
  std::string key;
  MetaKind kind = MetaKind::i32;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<uint8_t> bytes;
  uint8_t code = 0;

  static MetaPairSpec number(std::string key, MetaKind kind, int64_t v) {
    MetaPairSpec p;
    p.key = std::move(key), p.kind = kind, p.i = v;
    return p;
  }
  static MetaPairSpec text(std::string key, std::string s) {
    MetaPairSpec p;
    p.key = std::move(key), p.kind = MetaKind::string, p.s = std::move(s);
    return p;
  }
  static MetaPairSpec byte_vector(std::string key, std::vector<uint8_t> b) {
    MetaPairSpec p;
    p.key = std::move(key), p.kind = MetaKind::vec_u8, p.bytes = std::move(b);
    return p;
  }
};

// metadata.flatbuffer (ttml_metadata.fbs) holding the pairs in order.
std::vector<uint8_t> build_metadata(const std::vector<MetaPairSpec>& pairs);

}  // namespace ckpt::ttml
