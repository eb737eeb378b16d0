#pragma once
// Internal: detection of the llama2.c formats, and how a candidate is to be opened.
#include <vector>

#include "core/family.hpp"
#include "reader.hpp"

namespace ckpt::llama2c {

// DetectCandidate::variant values of this family.
enum Variant : int {
  kPlain = 0,
  kTruncatedMagic,  // the ak42 magic, then the end of the file before the version
  kUnknownVersion,  // the ak42 magic with a version no layout has
  kBadMagic,        // an ak42 layout whose magic bytes are damaged
};

// What detecting a v2 file worked out (both order tests), for open to reuse.
struct V2OrderFound final : FamilyData {
  std::optional<Q8OrderDecision> decision;
  std::optional<OrderRescue> rescue;
};

void detect(const ByteSource& src, const OpenLimits& limits, bool thorough, std::vector<core::DetectCandidate>& out);

}  // namespace ckpt::llama2c
