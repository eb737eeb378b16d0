#pragma once
// The declarative description of every llama2.c layout: the header fields, each with its
// offset, size and how it maps to the config, and the ordered tensors with dtype and shape
// as functions of the config. The reader, the expected-size formula, the writer and
// `--at` all derive from these tables, so they cannot disagree.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/config.hpp"
#include "ckpt/format.hpp"
#include "ckpt/limits.hpp"
#include "ckpt/result.hpp"
#include "ckpt/tensor.hpp"

namespace ckpt::llama2c {

constexpr uint32_t kAk42Magic = 0x616b3432;

enum class FieldType { u32, i32, u8 };

struct HeaderFieldSpec {
  std::string_view name;  // "magic", "version", "dim", ..., "shared_classifier", "group_size"
  uint64_t offset;
  uint32_t size;
  FieldType type;
  // The value the writer stores for a config, and what a read value contributes to the
  // config (both know the format: v0 stores the classifier flag as vocab_size's sign).
  int64_t (*encode)(Format f, const ModelConfig& c);
  void (*decode)(Format f, int64_t value, ModelConfig& c);
};

// The header fields of a format, in file order. Empty for formats without a fixed header.
const std::vector<HeaderFieldSpec>& header_fields(Format f);
// The field of that name in f's header, or nullptr.
const HeaderFieldSpec* header_field(Format f, std::string_view name);
// Bytes before the payload: 28 for v0, 256 for ak42, 0 for the tokenizer.
uint64_t header_size(Format f);

struct Layout {
  Format format = Format::unknown;
  std::vector<TensorSpec> tensors;  // file order of the data (scales may come later)
  std::vector<Placement> places;    // parallel to tensors
  uint64_t payload_offset = 0;
  uint64_t total_size = 0;  // the exact size a well-formed file has
};

// The tensors a format stores for a config, in file order, without byte positions.
// Fails (layout_config) when the config cannot describe any file: non-positive sizes,
// n_heads = 0, more than max_layers layers, a non-positive group size. A group size that
// does not divide a tensor is laid out as runq.c reads it (floor(numel/GS) scales);
// validate reports it.
Result<std::vector<TensorSpec>> tensor_specs(Format f, const ModelConfig& c,
                                             int64_t max_layers = OpenLimits{}.max_layers);

// The full layout with byte positions. Every size uses checked 64-bit arithmetic: a
// hostile config fails with layout_overflow instead of wrapping.
Result<Layout> build_layout(Format f, const ModelConfig& c, int64_t max_layers = OpenLimits{}.max_layers);

}  // namespace ckpt::llama2c
