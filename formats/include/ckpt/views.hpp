#pragma once
// Canonical views: the tensors of FORMATS.md's table (llama2.c / Meta names and shapes)
// as seen through the tensors a file stores. Every family provides them, so that diff,
// hash, convert and inspect --tensor treat all formats alike. A view is rows
// [row_begin, row_begin + rows) of one stored tensor: tt-train's kv_linear gives two views
// (its wk rows, then its wv rows); a tensor whose name is already canonical is one view of
// itself; a stored tensor with no canonical name (optimizer state) is a view under its
// own name with canonical = false.
#include <cstdint>
#include <string>
#include <vector>

#include "ckpt/checkpoint.hpp"

namespace ckpt {

struct CanonicalView {
  std::string name;             // canonical name (or the stored name when there is none)
  size_t tensor = 0;            // index into Checkpoint::tensors
  uint64_t row_begin = 0;       // first row of the stored tensor
  std::vector<uint64_t> shape;  // the canonical shape (tt-train's [1, 1, r, c] squeezed)
  uint64_t numel = 0;
  bool canonical = true;  // false: the stored tensor has no canonical name
  std::string source;     // for people: the stored tensor (and rows) when not `name`
  // Elements per row (numel for vectors).
  uint64_t cols() const;
  // Flat index in the stored tensor of the view's element 0.
  uint64_t elem_offset() const { return row_begin * cols(); }
};

// The canonical views of every stored tensor, in file order.
std::vector<CanonicalView> canonical_views(const Checkpoint& cp);

// The view of that name, or nullptr.
const CanonicalView* find_view(const std::vector<CanonicalView>& views, std::string_view name);

// The canonical names a stored tensor stands for, joined with '+' ("wk+wv" for a
// kv_linear); empty when it has none other than its own.
std::string canonical_names_of(const std::vector<CanonicalView>& views, size_t tensor, const std::string& own);

}  // namespace ckpt
