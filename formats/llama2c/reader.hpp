#pragma once
// Internal: the stages of reading a llama2.c checkpoint (header, tensor table, statuses),
// the two sub-format decisions (v1 fp32 or Q8_0 draft, v2 interleaved or scales last)
// and the repairs detection may try (a damaged ak42 magic).
#include <optional>

#include "ckpt/checkpoint.hpp"

namespace ckpt::llama2c {

// How the Q8_0 v2 ordering was decided (FORMATS.md: the plausibility test).
struct Q8OrderDecision {
  bool interleaved_fits = false;
  bool scales_last_fits = false;
  std::string decided_by;  // which test decided, in one line
};

// What the llama2.c family keeps beside the common model.
struct Llama2cData final : FamilyData {
  std::optional<Q8OrderDecision> q8_order;  // v2 layouts
};

// Reads the header fields of `f` that are inside the file into cp.header, and the config
// they describe into cp.config (each field through its spec's decode). Records a finding
// for every field cut by the file end, and for values the format forbids.
void read_header(const ByteSource& src, Format f, Checkpoint& cp);

// The config a full header of `f` describes, or nullopt when the file is shorter.
std::optional<ModelConfig> peek_config(const ByteSource& src, Format f);

// Builds the tensor table of cp.config in layout `f` and marks each tensor complete,
// truncated or missing against the file size; records size findings.
void build_tensor_table(Format f, const OpenLimits& limits, Checkpoint& cp);

// Decides between the two v2 orders with the plausibility test of FORMATS.md.
Q8OrderDecision decide_v2_order(const ByteSource& src, const ModelConfig& c, const OpenLimits& limits);

// When the strict test rejects both orders: the order whose sampled scales are clearly
// more plausible (a share of at least 90% against at most 60%), with the message saying
// so; nullopt when neither is clearly ahead.
struct OrderRescue {
  Format format;
  std::string message;
};
std::optional<OrderRescue> tolerant_v2_order(const ByteSource& src, const ModelConfig& c, const OpenLimits& limits);

// True when the 7 v0 header ints look like a model (each in a sane range); counts the
// plausible fields into `plausible`.
bool v0_header_plausible(const ByteSource& src, int& plausible);

// The version field of an ak42 header (at least 8 bytes).
int32_t ak42_version(const uint8_t* header);

// An ak42 file whose magic alone is damaged: the rest of the header describes an ak42
// layout of exactly the file's size (which random bytes or another format practically
// never do). Returns that layout.
std::optional<Format> ak42_with_bad_magic(const ByteSource& src, const OpenLimits& limits);

// Parses a tokenizer.bin; nullopt when the bytes are not one (either variant).
std::optional<TokenizerInfo> parse_tokenizer(const ByteSource& src, const OpenLimits& limits,
                                             std::vector<Finding>& findings, bool strict);

}  // namespace ckpt::llama2c
