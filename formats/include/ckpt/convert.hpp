#pragma once
// Conversion between llama2.c layouts: decides the output config, refuses conversions
// that lose information unless allowed, and runs the reference writer.
#include <optional>
#include <string>
#include <vector>

#include "ckpt/writer.hpp"

namespace ckpt {

struct ConvertOptions {
  Format to = Format::unknown;
  std::optional<int64_t> group_size;  // default: the input's, else the exporter's back-off
  bool allow_lossy = false;
};

struct ConvertPlan {
  ModelConfig config;            // the output's config
  std::vector<std::string> notes;  // what the user should know (lossy steps taken)
};

// Decides the output config for converting cp. Fails with "convert.lossy" when the
// conversion loses information and allow_lossy is false, "convert.unsupported" for a
// target that is not a llama2.c checkpoint, "convert.input" when cp is broken.
Result<ConvertPlan> plan_conversion(const Checkpoint& cp, const ConvertOptions& opt);

// A llama2.c checkpoint can be converted when it has a config and a tensor table whose
// tensors are all complete (RoPE tables aside: they are recomputed). "convert.input"
// otherwise, naming the first incomplete tensor and where it is.
std::optional<Error> check_convertible(const Checkpoint& cp);

}  // namespace ckpt
