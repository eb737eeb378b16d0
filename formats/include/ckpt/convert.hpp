#pragma once
// Conversion between any format ckpt reads and any it writes: the source's family
// supplies the config (completed with what the user passes for values the file does not
// store), the target's family decides the output config and writes it from the source's
// canonical views. Nothing here depends on a particular format.
#include <optional>
#include <string>
#include <vector>

#include "ckpt/byte_sink.hpp"
#include "ckpt/checkpoint.hpp"
#include "ckpt/weights.hpp"

namespace ckpt {

struct ConvertOptions {
  Format to = Format::unknown;
  // Folder targets (hf-safetensors): the stored element type and the shard size limit.
  DType dtype = DType::f32;
  uint64_t max_shard_bytes = 5000000000ull;
  std::optional<int64_t> group_size;  // Q8_0 targets; default: the input's, else the exporter's back-off
  bool allow_lossy = false;
  // Values some sources do not store (tt-train stores neither n_heads nor seq_len).
  std::optional<int64_t> n_heads, vocab_size, seq_len;
  std::string prefix = "llama/llama";  // ttml-msgpack targets: the key prefix of the model
  // ttml-msgpack as tt-train's llama_export.py writes it: the msgpack tt-train dumped from
  // an initialised model, whose entries are kept and whose Llama parameters are replaced;
  // meta_style keeps q/k in Hugging Face's rotary layout (its --meta_style).
  std::string ttml_template;
  bool meta_style = false;
};

struct ConvertPlan {
  Format to = Format::unknown;
  ModelConfig config;              // the output's config
  std::vector<std::string> notes;  // what the user should know (lossy steps taken)
  std::string prefix;              // ttml-msgpack targets
  DType dtype = DType::f32;        // folder targets
  uint64_t max_shard_bytes = 0;
  std::string ttml_template;  // ttml-msgpack in llama_export.py's form (see ConvertOptions)
  bool meta_style = false;
};

// Decides the output for converting cp. Fails with convert_lossy when the conversion
// loses information and allow_lossy is false, convert_unsupported for a target nothing
// writes, convert_input when cp is broken or lacks what the target needs.
Result<ConvertPlan> plan_conversion(const Checkpoint& cp, const ConvertOptions& opt);

// Writes the planned output from cp's weights. Fails with the source's or the sink's error.
Result<WriteStats> write_conversion(ByteSink& out, const Checkpoint& cp, const ConvertPlan& plan);
// The same for formats written as a folder (Format tag "folder").
Result<WriteStats> write_conversion(AtomicFolder& out, const Checkpoint& cp, const ConvertPlan& plan);

// Every canonical tensor of cp is complete (RoPE tables aside: they are recomputed), and
// there is a config and at least one tensor. convert_input otherwise, naming the first
// incomplete tensor and where it is.
std::optional<Error> check_convertible(const Checkpoint& cp);

// The formats some family writes, in registry order.
std::vector<Format> writable_formats();

}  // namespace ckpt
