#pragma once
// The element comparison rule and the per-range accumulator of the numeric diff. This is
// the hot loop: blocks that are bitwise equal (the common case) take a vectorised fast
// path; only blocks holding a difference or a non-finite value go element by element.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ckpt/diff_report.hpp"
#include "error_shape_accum.hpp"

namespace ckpt::diffing {

struct ElementRule {
  bool use_tol = false;  // --atol / --rtol given
  double atol = 0, rtol = 0;
  bool use_ulp = false;  // --ulp given
  uint64_t ulp = 0;
  bool q8_bound = false;  // Q8_0 against fp32 without tolerances: the group's half step
  bool equal_nan = false;
  // True when a (from A) and b (from B) count as equal; half_step is the Q8_0 bound.
  bool equal(float a, float b, float half_step) const;
  std::string describe() const;
};

// Distance in units in the last place (adjacent floats are 1 apart, -0 and +0 are 0).
uint64_t ulp_distance(float a, float b);

struct PairAccum {
  uint64_t compared = 0, mismatches = 0;
  // Over pairs where both values are finite.
  double sum_d2 = 0, dot = 0, na = 0, nb = 0;
  uint64_t finite_pairs = 0;
  bool has_max = false;
  Extremum max_abs, max_rel;  // only .flat and values are filled here
  // Mismatch shapes, for the diagnoses: B zero, A zero, B = -A.
  uint64_t b_zero = 0, a_zero = 0, negated = 0;
  std::vector<ElementPair> first;  // ascending flat index, at most `cap`
  // Fingerprints of the blocks that are not bitwise equal (equal blocks would add the
  // same to both): equal fingerprints with mismatches mean "the same values reordered".
  Fingerprint fp_a, fp_b;
  // DiffOptions::error_shapes: the tensor's geometry, and where its errors are (made at
  // the first block that is not bitwise equal).
  const ErrorGeometry* geometry = nullptr;
  std::shared_ptr<ErrorShapeAccum> shape;
  // Merges an accumulator of a later range (ties keep the earlier index).
  void merge(const PairAccum& later, size_t cap);
};

// Compares n elements whose flat indices start at `first`; half_steps is null or the per-element
// Q8_0 half step.
void accumulate(const ElementRule& rule, uint64_t first, const float* a, const float* b, const float* half_steps,
                size_t n, PairAccum& acc, size_t cap);

}  // namespace ckpt::diffing
