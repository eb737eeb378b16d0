#pragma once
// The sampled hypothesis check behind every diagnosis: a deterministic sample of
// positions, the values of a view at given positions (bounded reads), and "does
// B[pos_b] equal f * A[pos_a] under the element rule at every position".
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "compare_kernel.hpp"
#include "match.hpp"

namespace ckpt::diffing {

constexpr size_t kSampleSize = 4096;

// The deterministic sample of positions of a tensor of numel elements: all of them up to
// kSampleSize, else the first 16, the last, and kSampleSize hashed positions; plus
// `extra`; sorted, unique.
std::vector<uint64_t> sample_positions(uint64_t numel, const std::vector<uint64_t>& extra = {});

struct Values {
  std::vector<float> v, half_steps;  // Q8_0 half steps (zeros for fp32)
};

// The values of a view at arbitrary positions. Random access reads runs of consecutive
// positions at once; a stream is read once, in order. False when a position is beyond
// what the file holds or a read fails.
bool gather(const Checkpoint& cp, const View& view, const std::vector<uint64_t>& pos, Values& out, bool force_stream);

struct Side {
  const Checkpoint& cp;
  const View& view;
  bool force_stream = false;
};

// True when the rule holds between factor * A[pos_a[i]] and B[pos_b[i]] for every i
// (pos_a and pos_b parallel). `slack` also admits 2^-20 relative, the few ulps a product
// in another precision can differ by. The first 32 positions are checked first, so a
// wrong hypothesis costs a few reads.
bool fits(const Side& a, const std::vector<uint64_t>& pos_a, const Side& b, const std::vector<uint64_t>& pos_b,
          const ElementRule& rule, double factor = 1.0, bool slack = false);

// A hypothesis about where B's elements come from: for a position of B, the position of A
// it holds, or nullopt where B holds nothing of A (the padding of a tile).
struct Hypothesis {
  Diagnosis d;  // what to report when it holds (`checked` is filled in)
  std::function<std::optional<uint64_t>(uint64_t)> a_of;
  // When set, how A's value and B's must relate instead of the element rule (one side
  // rounded to bf16, say).
  std::function<bool(float a, float b)> relation;
};

// The first hypothesis that holds under the rule at every position of pb (B positions)
// that it maps, mapping at least min_checked of them. The first `probe` mapped positions
// of every hypothesis are read in one gather per side (a stream is read once however many
// hypotheses there are); only the survivors are checked on the whole sample, in order.
std::optional<Diagnosis> first_fit(const Side& a, const Side& b, const std::vector<uint64_t>& pb,
                                   const std::vector<Hypothesis>& hs, const ElementRule& rule, uint64_t min_checked,
                                   size_t probe = 32);

}  // namespace ckpt::diffing
