#pragma once
// What the tt-train msgpack reader records about a file, beside the common tensor table:
// every top-level key with its variant index, msgpack type and byte range, the metadata
// (keys that are not part of a tensor), and how each tensor's values are encoded.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "model_names.hpp"

namespace ckpt::ttml {

enum class MsgType : uint8_t { nil, boolean, uint, sint, f32, f64, str, bin, ext, array, map, invalid };
std::string_view msg_type_name(MsgType t);

// The variant tables changed once: see FORMATS.md "tt-train msgpack".
enum class TtmlEra {
  undecided,  // nothing in the file tells the two tables apart
  y2024,      // October/November 2024: 12 = vector<uint32_t>, 13 = vector<string>, string shapes
  y2025,      // 12 = vector<uint8_t> (bin shapes), 13 = vector<uint32_t>, 14 = vector<string>
};
std::string_view ttml_era_name(TtmlEra e);

// One top-level entry `key: [variant, payload]`.
struct TtmlEntry {
  std::string key;
  uint64_t key_offset = 0;          // first byte of the key
  uint64_t value_offset = 0;        // first byte of the value (normally the 2-element array)
  uint64_t payload_offset = 0;      // first byte of the payload (== value_offset when not [v, p])
  uint64_t end = 0;                 // one past the last byte of the value (file size when cut)
  int64_t variant = -1;             // -1 when the value is not [integer, payload]
  MsgType type = MsgType::invalid;  // the payload's msgpack type
  uint64_t count = 0;               // array/map: elements; str/bin: bytes
  uint64_t data_offset = 0;         // array: first element; str/bin: first byte
  bool complete = true;             // false when the file ends inside the value
  bool shadowed = false;            // a later entry has the same key (msgpack-c keeps the last)
  // Array element census (numbers are what float arrays may hold).
  uint64_t n_int = 0, n_f32 = 0, n_f64 = 0, n_other = 0;
  uint64_t elements_present = 0;             // complete elements before the file ended
  std::optional<uint64_t> first_non_number;  // offset of the first non-number element
  std::optional<uint64_t> first_float;       // offset of the first float element
  std::optional<int64_t> int_value;
  std::optional<bool> bool_value;
  std::optional<double> float_value;
  std::vector<uint8_t> small_bytes;  // str/bin payloads up to 256 bytes (shapes, names)
  std::string preview;               // the value as one short line of text
  bool numpy = false;                // a msgpack_numpy array {nd, type, kind, shape, data}
  std::string numpy_type;            // its numpy type string, e.g. "<f4"
  std::vector<uint64_t> numpy_shape;
  uint64_t numpy_data_offset = 0, numpy_data_bytes = 0;
};

// How one tensor of the table is stored.
struct TtmlTensor {
  std::string name;
  enum class Encoding { msgpack_array, raw } encoding = Encoding::msgpack_array;
  std::string element_type;                                // raw: the numpy type string ("<f4", "<f8", ...)
  uint64_t elements_offset = 0;                            // first array element, or first raw byte
  uint64_t elements_present = 0;                           // complete elements in the file
  size_t entry = 0;                                        // index of the data entry in TtmlInfo::entries
  int64_t data_type = -1, layout = -1, storage_type = -1;  // -1 when absent
  std::optional<bool> requires_grads, has_grads;
  bool uniform_stride = false;  // every element has the same size (stride bytes)
  uint32_t stride = 0;
};

struct TtmlInfo final : TtmlModel {
  TtmlEra era = TtmlEra::undecided;
  std::string era_reason;  // the evidence, one line
  uint64_t map_count = 0;  // entries the top-level map declares
  uint64_t map_header_bytes = 0;
  uint64_t parsed_end = 0;          // one past the last byte of the map, when it was complete
  std::vector<TtmlEntry> entries;   // file order
  std::vector<TtmlTensor> tensors;  // parallel to Checkpoint::tensors

  const TtmlTensor* find_tensor(std::string_view name) const {
    for (const auto& t : tensors)
      if (t.name == name) return &t;
    return nullptr;
  }
};

}  // namespace ckpt::ttml
