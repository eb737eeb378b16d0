#pragma once
// Flatbuffers verification that says where: the flatbuffers library's Verifier decides
// whether a buffer is valid (it is the reference), and when it rejects one, this walk over
// a description of the same schema finds the first byte that breaks a rule, in the order
// the generated Verify functions check them (table start, vtable, each field in id order,
// vectors, strings, unions), so that a finding carries an offset instead of "invalid".
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ckpt::ttml::fb {

// What a field slot holds, as the generated verifier sees it.
enum class Slot : uint8_t {
  scalar,         // `size` bytes, aligned to size
  table,          // uoffset to a table of `table`
  string,         // uoffset to a NUL-terminated string
  vector,         // uoffset to a vector of `size`-byte scalars
  table_vector,   // uoffset to a vector of uoffsets to tables of `table`
  string_vector,  // uoffset to a vector of uoffsets to strings
  union_value,    // uoffset to the member the previous slot (the ubyte type) names
};

struct TableDesc;
struct UnionDesc;

struct FieldDesc {
  std::string_view name;
  Slot slot;
  uint8_t size = 0;
  const TableDesc* table = nullptr;
  const UnionDesc* union_desc = nullptr;
};

struct TableDesc {
  std::string_view name;
  std::span<const FieldDesc> fields;  // in id order (a union takes two ids)
};

// A union member is a table, or a struct stored out of line (`struct_size` bytes aligned
// to `struct_align`, e.g. ttnn's InlineFileStorage).
struct UnionMember {
  uint8_t code;
  std::string_view name;
  const TableDesc* table = nullptr;
  uint8_t struct_size = 0, struct_align = 0;
};

struct UnionDesc {
  std::string_view name;
  std::span<const UnionMember> members;
  const UnionMember* find(uint8_t code) const;
};

// The schemas of formats/ttml/schema/*.fbs.
extern const TableDesc kTtmlData;          // ttml_metadata.fbs (2025-12-10 on)
extern const TableDesc kTtmlDataPr32326;   // ttml_tensor.fbs (PR branch)
extern const TableDesc kTensor;            // tensor.fbs
extern const TableDesc kTensor2025_06;     // tensor_2025_06.fbs
extern const UnionDesc kSerializableType;  // the metadata value unions, for names
extern const UnionDesc kSerializableTypePr32326;

// The flatbuffers Verifier's limits (its defaults), applied by both checks.
struct CheckLimits {
  uint32_t max_depth = 64;
  uint32_t max_tables = 1000000;
};

struct Problem {
  uint64_t offset = 0;  // within the buffer
  std::string what;     // one line: the structure and the rule it breaks
};

// The flatbuffers library's Verifier (generated VerifyBuffer of the schema `root`
// describes, no file identifier required), with its default limits: the reference the
// walk below agrees with.
bool flatbuffers_verify(std::span<const uint8_t> buf, const TableDesc& root);

// Walks `buf` as a flatbuffer whose root is `root`: nullopt when every check passes,
// else the first problem. Never reads outside `buf`.
std::optional<Problem> locate_problem(std::span<const uint8_t> buf, const TableDesc& root,
                                      const CheckLimits& limits = {});

}  // namespace ckpt::ttml::fb
