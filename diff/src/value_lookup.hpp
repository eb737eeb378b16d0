#pragma once
// Where B's sampled values are in A: one streaming pass over A that records, for each
// sampled position of B, the positions of A holding the same fp32 bit pattern. With it an
// unknown permutation can be read off (rows moved whole, columns moved whole, ...) without
// holding either tensor in memory: memory is O(sample).
#include <array>
#include <cstdint>
#include <vector>

#include "sample_check.hpp"

namespace ckpt::diffing {

struct ValueMatches {
  static constexpr uint8_t kMax = 4;           // candidates kept per sampled position
  std::vector<uint64_t> pb;                    // sampled positions of B, ascending
  std::vector<std::array<uint64_t, kMax>> at;  // positions of A with the same bits
  std::vector<uint8_t> count;                  // how many (kMax + 1: more than kMax, the value says nothing)
  uint64_t missing = 0;                        // sampled values of B found nowhere in A
};

// Reads B at pb (ascending, unique) and scans A once. False when a read fails.
bool match_values(const Side& a, const Side& b, std::vector<uint64_t> pb, ValueMatches& out);

}  // namespace ckpt::diffing
