#pragma once
// The tt-train parameters of a Llama config, from the one name table (ttml.hpp
// kLlamaParams): each parameter's name below the model prefix, its 4-D shape, and the
// canonical tensors whose rows it holds back to back (kv_linear: wk then wv), then the
// vocabulary padding rows. Every tt-train writer (msgpack, flatbuffer, tar) writes these.
#include <cstdint>
#include <string>
#include <vector>

#include "ckpt/config.hpp"

namespace ckpt::ttml {

struct ParamSegment {
  std::string canonical;
  uint64_t numel;
};

struct LlamaParamPlan {
  std::string name;            // below the prefix, e.g. "llama_block_0/attention/kv_linear/weight"
  std::vector<uint32_t> dims;  // [1, 1, rows, cols], or [1, 1, 1, n] for a norm
  std::vector<ParamSegment> segments;
  uint64_t zeros = 0;  // padding elements after the segments (vocabulary rows)
  uint64_t numel() const;
};

// The parameters in the table's order, layers expanded; output.weight is left out when
// the classifier is shared.
std::vector<LlamaParamPlan> plan_llama_params(const ModelConfig& c);

}  // namespace ckpt::ttml
