#pragma once
// Internal: the stages of reading a llama2.c checkpoint (header, tensor table, statuses)
// and the two sub-format decisions (v1 fp32 or Q8_0 draft, v2 interleaved or scales last).
#include "ckpt/checkpoint.hpp"

namespace ckpt::detail {

constexpr uint32_t kAk42Magic = 0x616b3432;

// Reads the header fields of `f` that are inside the file into cp.header, and the config
// they describe into cp.config. Records a finding for every field cut by the file end.
void read_header(const ByteSource& src, Format f, Checkpoint& cp);

// Builds the tensor table of cp.config in layout `f` and marks each tensor complete,
// truncated or missing against the file size; records size findings.
void build_tensor_table(Format f, Checkpoint& cp);

// Decides between the two v2 orders with the plausibility test of FORMATS.md.
Q8OrderDecision decide_v2_order(const ByteSource& src, const ModelConfig& c);

// True when the 7 v0 header ints look like a model (each in a sane range); counts the
// plausible fields into `plausible`.
bool v0_header_plausible(const ByteSource& src, int& plausible);

// Parses a tokenizer.bin; nullopt when the bytes are not one (either variant).
std::optional<TokenizerInfo> parse_tokenizer(const ByteSource& src, std::vector<Finding>& findings, bool strict);

}  // namespace ckpt::detail
