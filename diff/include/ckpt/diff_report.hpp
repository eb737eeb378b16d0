#pragma once
// The result model of `ckpt diff`: config differences, one TensorDiff per canonical
// tensor (metrics, first mismatches, diagnosis) and, with --bytes, a byte-level diff.
// Renderers in cli/ turn it into text or JSON (schema "ckpt.diff/1").
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
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

// Why a differing tensor pair differs, when one known mistake explains it. Names and
// meanings are in diagnosis_kinds(); the names are what JSON prints and never change.
enum class DiagnosisKind {
  truncated,            // a file ends inside the tensor, or one side holds only the first rows
  padded,               // (equal tensor) extra zero rows of a vocabulary padded to a multiple of 32
  zero_filled,          // every mismatching element is zero on one side
  sign_flipped,         // B = -A
  scaled,               // B = factor * A
  rounded,              // one side is the other rounded to bf16 or fp16
  quantized,            // one side is the other quantized to Q8_0 and dequantized (or both are Q8_0 of one tensor)
  transposed,           // B = A^T, under B's shape (c, r) or A's own (r, c)
  reshaped_transposed,  // B = (A reshaped to (r, c))^T, flattened
  rotary_permutation,   // wq/wk rows between the Hugging Face and the Meta rotary pairing
  tilized,              // B's data is A in tile order (tt-metal's 32x32 tiles of 16x16 faces, or other tiles)
  untilized,            // A's data is B in tile order: B is A's tiles read back row-major
  rows_permuted,        // B's rows are A's rows in another order
  columns_permuted,     // B's columns are A's columns in another order
  permuted,             // same values (equal fingerprints), another order ckpt cannot name
  layers_shifted,       // B's tensor is A's tensor of the same kind in another layer
  swapped,              // B's tensor is another tensor of A of the same shape
  shared_classifier,    // output.weight in one file equals the embedding the other file shares
  untied_classifier,    // output.weight in one file differs from the embedding the other shares
};

struct DiagnosisKindInfo {
  DiagnosisKind kind;
  std::string_view name;     // stable id, e.g. "rows_permuted"
  std::string_view meaning;  // one line for the README and --help texts
};
// Every diagnosis kind, in declaration order (the order diagnoses are tried in, roughly).
std::span<const DiagnosisKindInfo> diagnosis_kinds();
std::string_view diagnosis_kind_name(DiagnosisKind k);

// An order-independent fingerprint of a tensor's values: the count, and the sum and the
// sum of squares of the fp32 bit patterns (as unsigned 32-bit integers), both modulo
// 2^64. Two tensors holding the same values in any order have equal fingerprints; one
// changed element always changes `sum`.
struct Fingerprint {
  uint64_t count = 0, sum = 0, sum_squares = 0;
  bool operator==(const Fingerprint&) const = default;
};

struct Diagnosis {
  DiagnosisKind kind = DiagnosisKind::permuted;
  std::string detail;            // one line for people
  std::string other;             // swapped / layers_shifted: the tensor of A that B holds here
  std::optional<double> factor;  // scaled: B = factor * A
  // layers_shifted: B layer i holds A layer i + shift; pattern "rotated": B's item i is
  // A's item (i + shift) mod n.
  std::optional<int64_t> shift;
  std::string direction;  // rotary_permutation: "hf_to_meta" or "meta_to_hf" (applied to A gives B)
  uint64_t checked = 0;   // positions the hypothesis was checked on
  // rows_permuted / columns_permuted / permuted: the structure of the order, one of
  // "heads_reordered", "blocks_reordered", "halves_swapped", "reversed", "rotated",
  // "interleaved", "deinterleaved", "arbitrary"; empty when it is not known.
  std::string pattern;
  // B's block i holds A's block order[i] (blocks of `block` rows, columns or elements);
  // for "arbitrary" the whole map (block 1) when ckpt saw every row or column.
  std::vector<uint64_t> order;
  uint64_t block = 0;
  // reshaped_transposed: the (r, c) A was reshaped to; tilized / untilized: the matrix in
  // tiles, padded to multiples of 32 when A's (or B's) shape is not.
  std::vector<uint64_t> shape;
  bool of_transpose = false;  // tilized / untilized: the tiles hold the transpose
  // tilized / untilized: the tile's side (32 for tt-metal) and its faces' (16 for
  // tt-metal's four faces; equal to the tile for tiles stored row-major).
  uint64_t tile = 0, face = 0;
  std::string precision;  // rounded: "bf16" or "fp16"; quantized: "q8_0"
  std::string rounding;   // rounded: "nearest_even" or "toward_zero"
  // rounded / quantized: the file whose values are the rounded ones: "a", "b" or, for
  // two Q8_0 files, "both".
  std::string side;
  // quantized: the group size of each Q8_0 side (found by search for a file that holds
  // the dequantized values as fp32).
  std::optional<uint64_t> group_a, group_b;
  std::string accept;  // rounded / quantized: the flags under which ckpt diff calls the pair equal
  // Permutations found with equal fingerprints: the fingerprint both sides share.
  std::optional<Fingerprint> fingerprint;
  std::string_view name() const { return diagnosis_kind_name(kind); }
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
  std::vector<TensorDiff> tensors;    // in A's file order, then tensors only in B
  std::optional<ByteDiff> bytes;      // --bytes
  std::vector<std::string> notes;     // things worth saying that are not differences
  std::vector<std::string> selected;  // --tensor globs the comparison was limited to (empty: every tensor)
  bool equal() const;
};

}  // namespace ckpt
