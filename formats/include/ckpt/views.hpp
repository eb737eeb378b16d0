#pragma once
// Canonical views: the tensors of FORMATS.md's table (llama2.c / Meta names and shapes)
// as seen through the tensors a file stores. Every family provides them, so that diff,
// hash, convert and inspect --tensor treat all formats alike. A view is rows
// [row_begin, row_begin + rows) of one stored tensor: tt-train's kv_linear gives two views
// (its wk rows, then its wv rows); a tensor whose name is already canonical is one view of
// itself; a stored tensor with no canonical name (optimizer state) is a view under its
// own name with canonical = false.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ckpt/checkpoint.hpp"

namespace ckpt {

struct CanonicalView {
  std::string name;             // canonical name (or the stored name when there is none)
  size_t tensor = 0;            // index into Checkpoint::tensors (the first shard)
  uint64_t row_begin = 0;       // first row of the stored tensor
  std::vector<uint64_t> shape;  // the canonical shape (tt-train's [1, 1, r, c] squeezed)
  uint64_t numel = 0;
  bool canonical = true;  // false: the stored tensor has no canonical name
  std::string source;     // for people: the stored tensor (and rows) when not `name`
  // Model-parallel shards (Meta's consolidated.NN.pth): further stored tensors whose
  // rows (shard_axis 0) or columns (shard_axis 1) follow those of `tensor`, in order.
  std::vector<size_t> shards;
  int shard_axis = 0;
  // Hugging Face's rotary layout undone on the way (q_proj, k_proj): with head size hs,
  // view row h*hs + 2i + k is stored row h*hs + k*hs/2 + i. 0: rows in stored order.
  uint64_t rotary_head_size = 0;

  // Elements per row (numel for vectors).
  uint64_t cols() const;
  // Flat index in the stored tensor of the view's element 0.
  uint64_t elem_offset() const { return row_begin * cols(); }
  // One stored tensor read in order: readable as a plain element range.
  bool simple() const { return shards.empty() && rotary_head_size == 0; }
  // Whether stored tensor i is read by this view.
  bool reads(size_t i) const;
};

// The canonical views of every stored tensor, in file order.
std::vector<CanonicalView> canonical_views(const Checkpoint& cp);

// The view of that name, or nullptr.
const CanonicalView* find_view(const std::vector<CanonicalView>& views, std::string_view name);

// Streams view elements [first, first + count) as fp32 chunks in order (count is cut to
// what the file holds), through a ViewReader. Returns the elements streamed.
Result<uint64_t> stream_view_f32(const Checkpoint& cp, const CanonicalView& v, uint64_t first, uint64_t count,
                                 const std::function<bool(uint64_t, const float*, size_t)>& sink,
                                 size_t chunk_elems = size_t(1) << 20);

// The canonical names a stored tensor stands for, joined with '+' ("wk+wv" for a
// kv_linear); empty when it has none other than its own.
std::string canonical_names_of(const std::vector<CanonicalView>& views, size_t tensor, const std::string& own);

}  // namespace ckpt
