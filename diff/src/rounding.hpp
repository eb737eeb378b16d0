#pragma once
// Diagnoses that explain a difference as rounding: one side is the other rounded to bf16
// or fp16, or quantized to Q8_0 (with a group size ckpt finds) and dequantized, or both
// files are Q8_0 quantizations of one tensor. Each reports the flags under which
// `ckpt diff` would call the pair equal (`accept`). Checked on the sample, which always
// includes the first mismatches and the elements of largest absolute and relative error
// of the comparison pass, so one corrupted element among rounded ones is not excused.
#include <optional>
#include <span>

#include "diagnose.hpp"

namespace ckpt::diffing {

// A rounding of fp32 values that exporters apply, and the flags that accept it.
struct Rounding {
  const char* precision;  // "bf16", "fp16"
  const char* rounding;   // "nearest_even", "toward_zero"
  float (*round)(float);
  const char* accept;  // the flags under which ckpt diff calls such a pair equal (README)
};
// bf16 to nearest even, bf16 toward zero, fp16 to nearest even.
std::span<const Rounding> roundings();

// B = A rounded to bf16 (to nearest even, or toward zero) or to fp16, or the reverse.
std::optional<Diagnosis> rounded(DiagContext& ctx, const MatchedPair& m, const TensorDiff& td, const PairAccum& acc);

// Q8_0: a Q8_0 file whose elements are within half a step of the other (when a tolerance
// flag replaced that rule), two Q8_0 files within half a step of each, or an fp32 file
// holding dequantized Q8_0 values whose group size is found among 32/64/128/256 and the
// exporters' back-off 16/8/4/2.
std::optional<Diagnosis> quantized(DiagContext& ctx, const MatchedPair& m, const TensorDiff& td,
                                   const ElementRule& rule, const PairAccum& acc);

}  // namespace ckpt::diffing
