#pragma once
// Matching tensors of two files by canonical name. A file tensor becomes one or more
// views: tt-train's kv_linear is two views (its wk rows, then its wv rows), tt-train's
// 4-D shapes are squeezed to llama2.c's, and any other tensor is one view of itself.
#include <optional>
#include <string>
#include <vector>

#include "ckpt/checkpoint.hpp"

namespace ckpt::diffimpl {

struct View {
  std::string name;  // canonical name
  const TensorInfo* t = nullptr;
  std::string source;           // the file's own name and rows when they are not `name`, else empty
  uint64_t row_begin = 0;       // first row of t this view starts at
  std::vector<uint64_t> shape;  // canonical shape
  uint64_t numel = 0;
  uint64_t elem_offset() const;  // flat index in t of the view's element 0
  uint64_t cols() const;         // elements per row (numel for vectors)
};

// The canonical names a tt-train parameter path stands for (two for kv_linear: wk, wv),
// empty for paths that are not llama parameters (optimizer state, gradients, GPT-2).
std::vector<std::string> ttml_canonical_names(const std::string& path);

// The views of every tensor of cp, in file order.
std::vector<View> canonical_views(const Checkpoint& cp);

// Tensors that only some layouts store (v0's RoPE tables): absence from one file is a
// layout difference, not a weight difference.
bool is_layout_only(const std::string& canonical_name);

// tt-train training state (optimizer moments, gradients, step counters): tensors a
// weights-only layout cannot hold, so their absence there is not a difference.
bool is_training_state(const std::string& name);

// Vocabulary tensors, the ones tt-train pads with zero rows to a multiple of 32.
bool is_vocab_tensor(const std::string& canonical_name);

struct MatchedPair {
  std::string name;
  const View* a = nullptr;  // null when only in B
  const View* b = nullptr;  // null when only in A
};

// Pairs views by canonical name: A's order first, then views only in B in B's order.
std::vector<MatchedPair> match_views(const std::vector<View>& a, const std::vector<View>& b);

}  // namespace ckpt::diffimpl
