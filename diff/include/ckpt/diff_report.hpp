#pragma once
// The result model of `ckpt diff`: config differences, one TensorDiff per canonical
// tensor (metrics, first mismatches, diagnosis) and, with --bytes, a byte-level diff.
// Renderers in cli/ turn it into text or JSON (schema "ckpt.diff/1").
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "ckpt/error_shape.hpp"
#include "ckpt/locate.hpp"

namespace ckpt {

enum class DiffStatus { equal, differs, only_in_a, only_in_b, shape_mismatch };
std::string_view diff_status_name(DiffStatus s);

// One element of a tensor pair: flat and multi-dimensional index, both values.
struct ElementPair {
  uint64_t flat = 0;
  std::vector<uint64_t> index;
  float a = 0, b = 0;
};

// Where a maximum occurs (max_abs, max_rel): the value and its element.
struct Extremum {
  double value = 0;
  ElementPair at;
};

struct Diagnosis {
  // "transposed", "rotary_permutation", "swapped", "layers_shifted", "scaled",
  // "sign_flipped", "zero_filled", "truncated", "padded", "shared_classifier",
  // "untied_classifier".
  std::string kind;
  std::string detail;            // one line for people
  std::string other;             // swapped / layers_shifted: the tensor of A that B holds here
  std::optional<double> factor;  // scaled: B = factor * A
  std::optional<int64_t> shift;  // layers_shifted: B layer i holds A layer i + shift
  std::string direction;         // rotary_permutation: "hf_to_meta" or "meta_to_hf" (applied to A gives B)
  uint64_t checked = 0;          // positions the hypothesis was checked on
};

// Rows one side has beyond the other (tt-train pads the vocabulary to a multiple of 32).
struct ExtraRows {
  char side = 'a';    // which file has them
  uint64_t rows = 0;  // how many
  uint64_t first_row = 0;
  bool all_zero = false;
};

struct TensorDiff {
  std::string name;  // canonical name
  DiffStatus status = DiffStatus::equal;
  // Tensors present in one file only because of how it stores things, never a
  // difference: v0's RoPE tables, tt-train training state against a weights-only file,
  // a classifier equal to the embedding the other file shares (diagnosis says which).
  bool layout_only = false;
  std::string source_a, source_b;  // the tensor of each file it comes from when not `name` (tt-train, kv_linear rows)
  std::vector<uint64_t> shape_a, shape_b;
  std::string dtype_a, dtype_b;
  std::string rule;       // how elements were compared: "exact", "q8_0 half step", "atol=..., rtol=...", ...
  uint64_t numel = 0;     // elements of the canonical tensor (the common part for extra rows)
  uint64_t compared = 0;  // elements present in both files and compared
  uint64_t missing = 0;   // elements absent from a truncated file
  uint64_t mismatches = 0;
  std::optional<Extremum> max_abs, max_rel;  // set when at least one element was compared
  double rmse = 0;
  std::optional<double> cosine;  // absent when either side's norm is zero
  std::vector<ElementPair> first_mismatches;
  std::optional<ExtraRows> extra_rows;
  std::optional<Diagnosis> diagnosis;
  std::optional<ErrorShape> error_shape;  // DiffOptions::error_shapes, for pairs compared that differ in any way
  double percent() const { return compared ? 100.0 * double(mismatches) / double(compared) : 0.0; }
  bool is_difference() const { return status != DiffStatus::equal && !layout_only; }
};

struct ConfigDifference {
  std::string field;
  std::optional<int64_t> a, b;  // absent when that file has no config
};

// One run of consecutive differing bytes, mapped in both files.
struct ByteRange {
  uint64_t offset = 0, length = 0;
  Location a_first, b_first, a_last, b_last;
};

struct ByteDiff {
  uint64_t size_a = 0, size_b = 0;
  uint64_t compared = 0;   // min(size_a, size_b)
  uint64_t differing = 0;  // differing bytes within the compared range
  uint64_t ranges = 0;     // runs of differing bytes (including the size tail when sizes differ)
  std::vector<ByteRange> first_ranges;
  bool equal() const { return differing == 0 && size_a == size_b; }
};

struct DiffReport {
  std::string path_a, path_b;
  Format format_a = Format::unknown, format_b = Format::unknown;
  std::optional<ModelConfig> config_a, config_b;
  std::vector<ConfigDifference> config;
  std::vector<TensorDiff> tensors;  // in A's file order, then tensors only in B
  std::optional<ByteDiff> bytes;    // --bytes
  std::vector<std::string> notes;   // things worth saying that are not differences
  bool equal() const;
};

}  // namespace ckpt
