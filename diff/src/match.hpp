#pragma once
// Matching the canonical views of two files by name (views.hpp: tt-train's kv_linear is
// two views, 4-D shapes are squeezed; every other tensor is one view of itself).
#include <string>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "ckpt/views.hpp"

namespace ckpt::diffing {

using View = CanonicalView;

// The stored tensor a view reads.
inline const TensorInfo& tensor_of(const Checkpoint& cp, const View& v) { return cp.tensors[v.tensor]; }

// Tensors that only some layouts store (v0's RoPE tables): absence from one file is a
// layout difference, not a weight difference.
bool is_layout_only(const std::string& canonical_name);

// Training state (tt-train's optimizer moments, gradients, step counters): tensors a
// weights-only layout cannot hold, so their absence there is not a difference.
bool is_training_state(const std::string& name);

struct MatchedPair {
  std::string name;
  const View* a = nullptr;  // null when only in B
  const View* b = nullptr;  // null when only in A
};

// Pairs views by canonical name: A's order first, then views only in B in B's order.
std::vector<MatchedPair> match_views(const std::vector<View>& a, const std::vector<View>& b);

}  // namespace ckpt::diffing
