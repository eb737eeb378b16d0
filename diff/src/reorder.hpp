#pragma once
// Diagnoses of reordered data: tt-metal tiles (and back), A reshaped and transposed,
// rows or columns moved whole, and "the same values in another order" when ckpt cannot
// name the order. Whether B holds A's values at all is decided by the fingerprints of the
// comparison pass (compare_kernel.hpp), so a tensor with one changed element is never
// called reordered.
#include <optional>

#include "diagnose.hpp"

namespace ckpt::diffing {

// The diagnosis of a pair whose elements B holds in another order than A, or nullopt.
// `acc` is the comparison pass (null when the shapes did not allow one).
std::optional<Diagnosis> reordered(DiagContext& ctx, const MatchedPair& m, const TensorDiff& td,
                                   const ElementRule& rule, const PairAccum* acc);

}  // namespace ckpt::diffing
