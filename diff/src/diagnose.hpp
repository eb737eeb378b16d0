#pragma once
// Diagnoses: why a tensor pair differs, when one known mistake explains it. Each is a
// hypothesis "B = f(A)" checked on a deterministic sample of positions (every position
// of tensors up to kSampleSize elements, sample_check.hpp) that always includes the first
// mismatches, and where the full pass already measured it (zeros, sums, fingerprints) on
// every element. Memory is O(sample) whatever the tensor size; reads are the sampled
// positions, plus at most one pass over each side for reorderings (reorder.hpp).
#include <optional>

#include "compare_kernel.hpp"
#include "match.hpp"

namespace ckpt::diffing {

struct DiagContext {
  const Checkpoint& ca;
  const Checkpoint& cb;
  const std::vector<View>& views_a;  // candidates for swapped / layers shifted
  const std::vector<View>& views_b;
  bool force_stream = false;  // DiffOptions::force_stream
};

// The diagnosis of a pair that differs (status differs or shape_mismatch), or nullopt.
// `acc` is the full pass over the compared elements (null for a shape mismatch).
std::optional<Diagnosis> diagnose(DiagContext& ctx, const MatchedPair& pair, const TensorDiff& td,
                                  const ElementRule& rule, const PairAccum* acc);

// For output.weight present in one file only while the other shares its classifier:
// kind "shared_classifier" when it equals the other file's tok_embeddings (the same
// model, stored another way), "untied_classifier" when it does not; else nullopt.
std::optional<Diagnosis> diagnose_classifier(DiagContext& ctx, const MatchedPair& pair, const ElementRule& rule);

}  // namespace ckpt::diffing
