#pragma once
// tt-train's metadata flatbuffer (TTMLData: a vector of key / union-value pairs), in the
// schema that shipped (ttml_metadata.fbs, 17 value types) and the PR-branch one
// (ttml_tensor.fbs, no bfloat16 types: codes from 8 on shifted down by one). The file is
// verified with the flatbuffers Verifier before any value is read; 8-byte vector
// elements, which the Verifier does not align, are read with memcpy.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/finding.hpp"
#include "ckpt/limits.hpp"

namespace ckpt::ttml {

enum class MetaSchema {
  current,  // ttml_metadata.fbs (tt-metal main, 2025-12-10 on)
  pr32326,  // ttml_tensor.fbs (PR #32326's development branch)
};
std::string_view meta_schema_name(MetaSchema s);

// What a union member holds, whatever the schema numbers it.
enum class MetaKind {
  none,
  boolean,
  i8,
  i32,
  f32,
  f64,
  u32,
  u64,
  bf16,
  string,
  vec_i8,
  vec_i32,
  vec_f32,
  vec_f64,
  vec_u8,
  vec_u32,
  vec_bf16,
  vec_string,
  unknown,  // a code this schema does not define (e.g. the PR branch's TensorValue = 18)
};
MetaKind meta_kind(MetaSchema s, uint8_t code);
std::string_view meta_kind_name(MetaKind k);  // the schema's table name ("IntValue", ...)

struct MetaPair {
  std::string key;
  uint8_t code = 0;  // the union type as stored
  MetaKind kind = MetaKind::none;
  uint64_t offset = 0;                // absolute: the pair's table
  uint64_t key_offset = 0;            // absolute: the key's length prefix
  uint64_t value_offset = 0;          // absolute: the value's table (0 when absent)
  std::optional<int64_t> int_value;   // booleans, integers
  std::optional<double> float_value;  // floats, bfloat16
  std::optional<std::string> text;    // strings (capped at 64 KiB)
  std::vector<uint8_t> bytes;         // VectorUInt8 / VectorChar payloads up to 4 KiB (shapes)
  uint64_t count = 0;                 // vector elements
  std::string preview;                // the value as one short line
  bool shadowed = false;              // a later pair has the same key (tt-train keeps the last)
};

struct Metadata {
  MetaSchema schema = MetaSchema::current;
  std::string schema_reason;  // why this schema, one line
  bool verified = false;
  std::vector<MetaPair> pairs;
};

// Parses metadata held in `buf`, which starts at absolute offset `base` of its source.
// Verifies it (both schemas; `prefer` breaks ties, else the values decide), then reads
// at most limits.max_metadata_pairs pairs. Problems are findings (flatbuffer.verify,
// ttckpt.*) about `subject`.
Metadata parse_metadata(std::span<const uint8_t> buf, uint64_t base, std::optional<MetaSchema> prefer,
                        const OpenLimits& limits, const std::string& subject, std::vector<Finding>& findings);

// Detection: whether the bytes verify as TTMLData under either schema and hold at least
// one pair with a key (reads the whole file only when it is at most max_flatbuffer_bytes
// and its first bytes look like a flatbuffer root).
bool probe_metadata(const ByteSource& src, const OpenLimits& limits);

// The uint32 dims a VectorUInt8 shape holds (tt-train stores ttnn::Shape's raw bytes).
std::optional<std::vector<uint64_t>> shape_of(const MetaPair& p);

}  // namespace ckpt::ttml
